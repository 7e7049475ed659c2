"""Fiscal documents and exports.

This package decides, per practice, who issues the fiscal document (Saldo or the practice's
own software) and, when Saldo does:

- Italy: validates the practice's partita IVA and codice fiscale and the patient's codice
  fiscale (`profile`, `tax_ids`); numbers health invoices and credit notes per practice, kind
  and year with no gaps, under a database row lock (`numbering`); works out the €2 stamp duty
  above €77.47 and who bears it (`stamp`); issues one health invoice per payment and one
  credit note per refund (`documents`), also as a step of `jobs run-due`; records the
  patient's opposition to the Sistema TS (`opposition`); builds the monthly Sistema TS file
  of health-expense data (`sts`) and reminds the owner to send it (`reminders`).
- United States: the itemized statement for HSA/FSA and insurance claims (`statement`).

PDFs are rendered by `render`. Nothing here reads `request`.
"""

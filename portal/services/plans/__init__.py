"""Payment plans: which plans a balance allows, the installment schedule, APR and TILA
disclosures, signed and sealed agreements with their keys, and installments falling due."""

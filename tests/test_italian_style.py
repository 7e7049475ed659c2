"""The Italian catalog speaks to patients and staff as a practice would: formal "Lei" (never a
"tu" imperative such as "Paga" or "Salva"), "in ritardo" for past due ("scaduto" means expired),
"promemoria" for a reminder ("sollecito" only for a real demand), "riduzione" for an adjustment
("rettifica" is a correction).

Each list of exemptions names the msgids it lets through and why.
"""

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOG = Path(__file__).resolve().parent.parent / "translations/it/LC_MESSAGES/messages.po"

#: Second-person ("tu") imperatives that are not also a noun a label could start with.
TU_IMPERATIVES = {
    word
    for line in (
        "Accedi Accetta Aggiungi Annulla Apri Approva Attendi Attiva Cambia Cancella Carica Cerca",
        "Chiudi Completa Contatta Continua Controlla Crea Digita Disattiva Elenca Emetti Esci",
        "Filtra Ignora Importa Indica Inserisci Interrompi Invia Lascia Leggi Mantieni Mostra",
        "Offri Paga Proponi Registra Reinvia Riapri Ricarica Richiedi Ricomincia Riduci Rifiuta",
        "Rimborsa Riprova Risolvi Ritira Salda Salva Sblocca Scarica Scegli Segna Seleziona",
        "Sospendi Spunta Stralcia Torna Usa Vai Visualizza",
    )
    for word in line.split()
}
#: "tu" imperatives that are also nouns ("Firma disegnata", "Copia di cortesia"): wrong only
#: where they stand alone or take an object.
TU_OR_NOUN = {"Conferma", "Copia", "Firma", "Modifica", "Revoca", "Stampa", "Verifica"}
OBJECT = re.compile(r"(il|lo|la|l[’']|i|gli|le|un|una|uno|questo|questa|questi|queste|ora)\b")
#: After these a new sentence or label starts.
STARTS = re.compile(r"(?:^|[.:;!?·–(]\s+)(\w+)(\s+\S+)?")

#: Second-person pronouns and possessives of "tu".
TU_WORDS = re.compile(r"\b(ti|tuo|tua|tuoi|tue)\b", re.IGNORECASE)

#: "scaduto" where something really ran out, with the reason.
EXPIRED_OK = {
    "Your session has ended": "a session really expires",
}
#: "sollecito" for a demand for an amount already past due, with the reason.
DEMANDS = {
    "Final notice: your bill from %(practice)s": "the last demand of the cadence",
    "Final reminder: formal demand for payment": "a formal demand (diffida)",
    "Reminder: payment overdue": "sent only after the due date",
    "Urgent reminder: payment overdue": "sent only after the due date",
    "This is our final reminder: your bill of %(amount)s from %(practice)s, due on %(date)s, is "
    "still unpaid.": "the last demand of the cadence",
    "Despite our earlier reminders, the amount below is still unpaid. Please pay it by "
    "%(date)s.": "speaks of the earlier demands",
    "Despite our earlier reminders, the amount below is still unpaid. This is our final "
    "reminder.": "speaks of the earlier demands",
    "Despite our reminders, your bill of %(amount)s from %(practice)s, due on %(date)s, is "
    "still unpaid.": "speaks of the earlier demands",
    "We have already reminded you several times, and the amount below is still unpaid. Please "
    "pay it without delay, and no later than %(date)s.": "speaks of the earlier demands",
}


@pytest.fixture(scope="module")
def entries():
    with CATALOG.open("rb") as f:
        catalog = read_po(f, locale="it")
    pairs = []
    for m in catalog:
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        pairs += [(ids[0], s) for s in strings]
    return pairs


def tu_imperatives(text: str) -> list[str]:
    """The "tu" imperatives that start a sentence or a label in `text`."""
    found = []
    for match in STARTS.finditer(text):
        word, rest = match.group(1), (match.group(2) or "").strip()
        word = word[:1].upper() + word[1:]
        if word in TU_IMPERATIVES or (word in TU_OR_NOUN and (not rest or OBJECT.match(rest))):
            found.append(word)
    return found


def test_the_check_knows_tu_from_lei():
    assert tu_imperatives("Paga %(amount)s") == ["Paga"]
    assert tu_imperatives("Completa il piano rateale: paga l’acconto") == ["Completa", "Paga"]
    assert tu_imperatives("Salva e avvia il piano") == ["Salva"]
    assert tu_imperatives("Verifica il sigillo") == ["Verifica"]
    assert tu_imperatives("Modifica") == ["Modifica"]
    assert tu_imperatives("Paghi %(amount)s") == []
    assert tu_imperatives("Torni indietro, ricarichi la pagina e riprovi.") == []
    assert tu_imperatives("Firma disegnata") == []
    assert tu_imperatives("Copia di cortesia in inglese.") == []
    assert tu_imperatives("Verifica dell’identità") == []


def test_no_tu_imperative(entries):
    assert [(msgid, s) for msgid, s in entries if tu_imperatives(s)] == []


def test_no_tu_pronoun(entries):
    assert [(msgid, s) for msgid, s in entries if TU_WORDS.search(s)] == []


def test_scaduto_only_for_what_expired(entries):
    wrong = [
        (msgid, s)
        for msgid, s in entries
        if re.search(r"\bscadut", s, re.IGNORECASE)
        and "expire" not in msgid.lower()
        and msgid not in EXPIRED_OK
    ]
    assert wrong == []


def test_past_due_is_in_ritardo(entries):
    past_due = [s for msgid, s in entries if msgid in ("Past due", "Plan past due")]
    assert past_due == ["In ritardo", "Piano in ritardo"]


def test_sollecito_only_for_a_demand(entries):
    wrong = [
        (msgid, s)
        for msgid, s in entries
        if re.search(r"sollecit", s, re.IGNORECASE) and msgid not in DEMANDS
    ]
    assert wrong == []
    assert sorted(msgid for msgid, s in entries if msgid in DEMANDS) == sorted(DEMANDS)


def test_reminders_are_promemoria(entries):
    by_id = dict(entries)
    assert by_id["Reminder"] == "Promemoria"
    assert by_id["Reminders"] == "Promemoria"
    assert by_id["A reminder about your bill from %(practice)s"].startswith("Promemoria")


def test_an_adjustment_is_not_a_rettifica(entries):
    wrong = [
        (msgid, s)
        for msgid, s in entries
        if "adjust" in msgid.lower() and re.search(r"rettific", s, re.IGNORECASE)
    ]
    assert wrong == []
    assert dict(entries)["Adjustment"] == "Riduzione"

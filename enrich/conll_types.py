"""Entity types of other schemes (OntoNotes, CoreNLP, WikiNER) as CoNLL-2003's four.

Types with no CoNLL counterpart (DATE, MONEY, ...) are absent: callers drop them.
"""

TO_CONLL = {
    "PER": "PER",
    "PERSON": "PER",
    "ORG": "ORG",
    "ORGANIZATION": "ORG",
    "ORGANISATION": "ORG",
    "CORPORATION": "ORG",
    "LOC": "LOC",
    "LOCATION": "LOC",
    "GPE": "LOC",
    "FAC": "LOC",
    "GEO": "LOC",
    "MISC": "MISC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "PRODUCT": "MISC",
    "WORK_OF_ART": "MISC",
    "LAW": "MISC",
    "LANGUAGE": "MISC",
    "NAT": "MISC",
}

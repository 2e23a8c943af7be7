"""How newswire's own NER and topic models are made: corpus, teachers, fine-tuning, export.

Nothing here runs in the pipeline; the pipeline serves what this produces (see enrich/).
"""

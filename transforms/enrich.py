"""EnrichArticles: NER and topics through Beam's RunInference, then the index document.

The model handler says what the model does (load it, run a batch); RunInference decides how
batches form and shares one loaded model per worker process across threads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import apache_beam as beam
from apache_beam import pvalue
from apache_beam.metrics import Metrics
from apache_beam.ml.inference.base import ModelHandler, PredictionResult, RunInference

from enrich.enricher import Enricher, ModelPaths
from schemas.dead_letter import DeadLetter, ErrorCode
from schemas.document import IndexRequest, build_document
from schemas.enrichment import Enrichment
from transforms.parse import DEAD_LETTER, SourcedArticle


class EnrichmentModelHandler(ModelHandler[SourcedArticle, PredictionResult, Enricher]):
    def __init__(
        self,
        paths: ModelPaths,
        batch_chars: int,
        load: Callable[[ModelPaths], Enricher] = Enricher,
    ) -> None:
        super().__init__()
        self.paths = paths
        self.batch_chars = batch_chars
        self.load = load  # tests hand in a fake model

    def batch_elements_kwargs(self) -> Mapping[str, Any]:
        # Batches are bounded by characters, not articles, so one batch of long articles costs
        # about as much as one of short ones. (ModelHandler's own max_batch_weight is passed to
        # BatchElements, which does not take it in Beam 2.77; element_size_fn does the same.)
        return {
            "min_batch_size": 1,
            "max_batch_size": self.batch_chars,
            "element_size_fn": lambda item: len(item.article.text) + 1,
        }

    def load_model(self) -> Enricher:
        return self.load(self.paths)

    def run_inference(
        self,
        batch: Sequence[SourcedArticle],
        model: Enricher,
        inference_args: dict[str, Any] | None = None,
    ) -> Iterable[PredictionResult]:
        try:
            enrichments, seconds = model.timed_batch([item.article for item in batch])
            results: list[Enrichment | Exception] = list(enrichments)
        except Exception:
            # Find the article that breaks the batch; the others still go through.
            results, seconds = [], 0.0
            for item in batch:
                try:
                    one, took = model.timed_batch([item.article])
                    results.append(one[0])
                    seconds += took
                except Exception as exc:
                    results.append(exc)
        per_article_ms = seconds * 1000 / max(1, len(batch))
        Metrics.distribution("newswire", "model_ms_per_article").update(int(per_article_ms))
        return [PredictionResult(item, result) for item, result in zip(batch, results, strict=True)]

    def get_metrics_namespace(self) -> str:
        return "newswire_inference"


class _ToDocumentFn(beam.DoFn):
    def process(self, result: PredictionResult) -> Iterator[IndexRequest | pvalue.TaggedOutput]:
        item = result.example
        assert isinstance(item, SourcedArticle)
        if isinstance(result.inference, Exception):
            Metrics.counter("newswire", "enrichment_failed").inc()
            yield pvalue.TaggedOutput(
                DEAD_LETTER,
                DeadLetter(
                    ErrorCode.ENRICHMENT_FAILED,
                    f"{type(result.inference).__name__}: {result.inference}",
                    item.original,
                    item.source,
                    item.article.doc_id,
                ),
            )
            return
        assert isinstance(result.inference, Enrichment)
        document = build_document(item.article, result.inference, item.source)
        yield IndexRequest(
            item.article.doc_id, document, item.source, item.original, item.article.version_ms
        )


class EnrichArticles(beam.PTransform):
    """Outputs `documents` (IndexRequest) and `dead_letter` (DeadLetter)."""

    def __init__(
        self,
        paths: ModelPaths,
        batch_chars: int = 60_000,
        load: Callable[[ModelPaths], Enricher] = Enricher,
    ) -> None:
        super().__init__()
        self.handler = EnrichmentModelHandler(paths, batch_chars, load)

    def expand(self, articles: beam.PCollection[SourcedArticle]) -> pvalue.DoOutputsTuple:
        return (
            articles
            | "NER+Topics" >> RunInference(self.handler)
            | "BuildDocument"
            >> beam.ParDo(_ToDocumentFn()).with_outputs(DEAD_LETTER, main="documents")
        )

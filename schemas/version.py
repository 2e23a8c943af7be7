"""One place for the pipeline's version, recorded in every document and dead letter."""

from importlib.metadata import PackageNotFoundError, version

try:
    PIPELINE_VERSION = version("newswire")
except PackageNotFoundError:  # running from a source tree that was not installed
    PIPELINE_VERSION = "0.0.0+source"

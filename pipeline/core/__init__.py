"""The run machinery: config, the catalogue of datasets, IO, the runner, lock, log, errors, progress."""

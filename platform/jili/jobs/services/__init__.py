"""Starting, tracking and running background jobs (see :mod:`jili.jobs.models`)."""

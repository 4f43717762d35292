"""Operations: the scheduler's leader lock, its job runs and its heartbeat."""

"""The outbox: e-mails are stored in the database first and delivered by a job."""

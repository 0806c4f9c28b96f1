"""Delivery of the ticket feed to ticketing and chat tools: a registry of small sink classes (sinks.py) and the
bookkeeping that sends each ticket event once (deliver.py). Tickets are read from ticket_history."""

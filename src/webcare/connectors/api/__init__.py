"""The generic API channel: JSON in through our REST API, JSON out to the customer's URL."""

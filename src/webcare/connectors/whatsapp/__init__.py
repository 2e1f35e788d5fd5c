"""WhatsApp Cloud API: webhooks (Meta's handshake and signature), payloads to inbound events and
delivery reports (normalize.py), and sending text and template messages (client.py)."""

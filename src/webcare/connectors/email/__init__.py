"""E-mail: IMAP polling in (imap.py), SMTP replies out (smtp.py), RFC 5322 to inbound (parse.py)."""

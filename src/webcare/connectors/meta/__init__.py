"""Meta: Facebook Page comments and posts, Messenger, Instagram comments and DMs."""

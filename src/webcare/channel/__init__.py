"""Connected channel accounts and the port every connector implements."""

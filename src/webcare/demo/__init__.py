"""The demo workspace: a named cast shared by the tests and `webcare demo`."""

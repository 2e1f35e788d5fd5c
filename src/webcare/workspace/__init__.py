"""Workspaces (tenants), memberships with roles, and teams."""

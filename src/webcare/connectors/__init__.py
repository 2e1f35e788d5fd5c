"""Platform connectors. Each imports only webcare.channel.ports and webcare.kit."""

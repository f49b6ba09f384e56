"""Customer.io: outbound events, the Track API client and inbound webhooks."""

"""What the program tells Customer.io: the outbox rows rules add, below the rules and delivery."""

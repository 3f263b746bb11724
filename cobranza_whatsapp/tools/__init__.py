# Pure logic with no ORM in it: Meta payloads, signatures, intents, send windows,
# phone numbers and formatting. Unit-tested without a database.

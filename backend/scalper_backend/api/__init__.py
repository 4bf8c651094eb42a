"""The HTTP API's shapes (schemas), how requests are read, and how errors are answered."""

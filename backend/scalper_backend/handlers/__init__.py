"""Lambda entry points. Each is thin: parse the event, call a plain function, shape the answer."""

"""HTTP routes: thin (parse, call a service, return). Only the app factory imports them."""

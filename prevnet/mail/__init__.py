"""E-mail: bulletins out, replies in, and the signed links members click in them."""

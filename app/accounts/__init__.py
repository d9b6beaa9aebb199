"""Users, roles and their scope in the place tree; logins and sessions."""

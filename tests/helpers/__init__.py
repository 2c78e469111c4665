"""What several test modules share: data builders, servers, tables of rules. Test modules import
from here, never from one another."""

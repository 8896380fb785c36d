"""bulk-o2c: order-to-cash bulk loads between Salesforce and NetSuite."""

__version__ = "0.1.0"

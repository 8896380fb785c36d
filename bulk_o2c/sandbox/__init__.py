"""Emulators of Salesforce and NetSuite on loopback, independent server-side implementations."""

"""The revisions, oldest first: 0001 (the schema of qoswb 0.1.0), 0002 (versions, authors, soft delete), 0003 (a cycle's grain), …"""

"""A seeded, synthetic Gwent for the demo: children, their agencies' records and three years of episodes.

Every person in it is invented. NHS numbers are in the 999 range the NHS reserves for testing.
`hafan demo_data` runs it; docs/demo-data.md describes what it makes and how it is calibrated.
"""

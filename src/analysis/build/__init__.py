"""Build tooling: the book build, the chapter notebooks (pairing, execution, runs on other
datasets). The only layer that may import all the others.
"""

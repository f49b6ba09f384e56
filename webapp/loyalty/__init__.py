"""The rules of the program: plain functions over ids and values, no request objects."""

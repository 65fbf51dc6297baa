# The feature names a `from __future__ import …` may list. gilsim's language is Python 3's,
# except that under --python 2.7 `print(a, b)` is 2.7's print statement unless
# print_function is imported (the compiler reads that import itself).
nested_scopes = "nested_scopes"
generators = "generators"
division = "division"
absolute_import = "absolute_import"
with_statement = "with_statement"
print_function = "print_function"
unicode_literals = "unicode_literals"
annotations = "annotations"

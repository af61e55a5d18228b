# Doxygen input filter: the public headers are commented in plain C (/* ... */), which
# Doxygen ignores. This turns their comments into documentation comments on the fly, so the
# headers stay plain C and remain the single source of the reference manual.
# Separator lines stay plain comments.
/^[[:space:]]*\/\* -\{4,\}/b
# The file's opening comment documents the file.
1s|^/\* |/** @file\n * |
# A comment opening a line documents what follows it.
s|^\([[:space:]]*\)/\* |\1/** |
# A comment after a member or enumerator on the same line documents that member.
s|\([;,{]\)\([[:space:]]*\)/\* |\1\2/**< |
# HTML element names in the prose (<title>, <meta>) are text, not markup.
/^[[:space:]]*#/!s|<\(/\{0,1\}[a-z][a-z0-9]*\)>|\\<\1\\>|g

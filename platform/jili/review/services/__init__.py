"""The period review's services: the figures (figures.py), the optional sections
other capabilities provide (sections.py), the workbook (xlsx.py)."""

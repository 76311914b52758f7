"""Plan as code: a company's setup as a TOML file (export, import) and the
demo companies loaded from tenants/.
"""

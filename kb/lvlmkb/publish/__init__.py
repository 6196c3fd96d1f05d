"""Publishing: the terminal views, the awesome-list README and the site, built from the KB and run records.

It reads :mod:`lvlmkb.kb` and the run records of :mod:`lvlmkb.eval`, never plugin code, and never imports
:mod:`lvlmkb.cli`.
"""

"""Publishing the post-mortem log: the static site (site.py, its templates and static files as
package data, charts.py for the inline SVG) and the privacy scan that guards it (privacy.py).

Never import Textual here.
"""

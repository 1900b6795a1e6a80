"""Offers (quotes) made from a deal: priced lines, totals with VAT, versions, the discount approval
by the head of sales, the client's decision, the PDF.

- selectors.py — reads, always through the deal's visibility (an offer is seen exactly when its
  deal is);
- services.py — create, change the header and the lines (priced by catalog.pricing), new version,
  delete;
- flow.py — send, accept (which moves the deal forward), reject;
- approval.py — who approves a discount above the limit, the request, the decision;
- document.py — the PDF; timeline.py, myday.py, registry.py — what offers add to core's registries.
"""

"""The sample invoice Meta asks for when a template has a document header.

Meta reviews a template with a document header only with an example file (uploaded with the
Resumable Upload API, sent as ``example.header_handle``); this is a one-page PDF that shows
what the customer receives, without any real customer's data.
"""

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def example_invoice_pdf(company_name, title="Invoice", lines=()):
    """A one-page PDF headed `title` for `company_name`, with `lines` of text."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=1)
    pdf.setTitle(f"{title} - {company_name}")
    width, height = A4
    pdf.setFont("Helvetica-Bold", 18)
    pdf.drawString(56, height - 80, (company_name or "")[:60])
    pdf.setFont("Helvetica", 14)
    pdf.drawString(56, height - 110, title[:80])
    pdf.setFont("Helvetica", 11)
    y = height - 150
    for line in lines:
        pdf.drawString(56, y, str(line)[:100])
        y -= 18
    pdf.line(56, y - 6, width - 56, y - 6)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def receipt_png(reference):
    """A transfer receipt as a simulated customer photographs it (the sandbox's proofs of
    payment): a PNG with the bank's lines, no real data."""
    from PIL import Image, ImageDraw  # noqa: PLC0415 - Odoo's own dependency, needed here only

    image = Image.new("RGB", (420, 260), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 420, 48), fill=(0, 61, 121))
    draw.text((16, 16), "Banco de Ejemplo - Constancia de transferencia", fill="white")
    lines = ("Operacion exitosa", f"Nro. de operacion: {reference[-8:].upper()}",
             "Cuenta destino: Distribuidora Andina", "Fecha: hoy", "Simulado (sandbox)")
    for index, line in enumerate(lines):
        draw.text((16, 70 + index * 34), line, fill=(30, 30, 30))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

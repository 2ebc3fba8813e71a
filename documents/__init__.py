"""Everything the office prints or files, as bytes from plain data: Word 公文 (the circular, the rectification
notice, the feedback letters), Excel (the results workbook, the problem list), PDF (posters, invitation sheets)
and the invitation list. Imports core/ and the document libraries only, never db/, ui/ or Streamlit."""

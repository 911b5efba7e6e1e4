"""Hostile text that people might type: XSS payloads, Markdown tricks and odd characters.

One corpus for the whole suite. The Markdown tests feed XSS to the report renderer; the
form fuzz posts every payload to every text field. Each payload carries MARKER where it
tries to become markup, so a page scan can tell an injected attribute or tag from the
page's own.
"""

# A dot: no token, hash or slug in our pages can hold one, so a random CSRF token never
# looks like an injection.
MARKER = "zq.x"

# What a report narrative (Markdown) might contain to run script or leak data.
XSS = [
    "<script>alert(zq.x)</script>",
    "<img src=x onerror=alert(zq.x)>",
    '<a href="javascript:alert(zq.x)">x</a>',
    "[click](javascript:alert(zq.x))",
    "[click](JaVaScRiPt:alert(zq.x))",
    "[click](&#106;avascript:alert(zq.x))",
    "[click](  javascript:alert(zq.x)  )",
    "[click](vbscript:msgbox(zq.x))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(zq.x)>",
    '<div hx-get="/o/acme/zq.x" hx-trigger="load">x</div>',
    '<p onclick="alert(zq.x)">x</p>',
    "<iframe src=https://evil.example/zq.x></iframe>",
    "<svg><script>alert(zq.x)</script></svg>",
    "<style>body{display:none}/*zq.x*/</style>",
    '<a href="https://x.example" onmouseover="alert(zq.x)">x</a>',
    '[x](https://x.example "title" onmouseover="alert(zq.x)")',
    "![x](https://evil.example/zq.x.png)",
    '![x" onerror="alert(zq.x)](x)',
    "<!-- <script>alert(zq.x)</script> -->",
    "`<script>alert(zq.x)</script>`",
    "```html\n<script>alert(zq.x)</script>\n```",
    "<form action=https://evil.example/zq.x><input name=p></form>",
    "<object data=zq.x></object><embed src=zq.x>",
    "<meta http-equiv=refresh content='0;url=https://evil.example/zq.x'>",
    "[x](/o/acme/reports/zq.x)",
    "[x](//evil.example/zq.x)",
]

# Breaking out of the attribute, element or template a value is placed in.
BREAKOUTS = [
    '"><svg onload=alert(zq.x)>',
    "'><img src=x onerror=alert(zq.x)>",
    "</textarea><script>alert(zq.x)</script>",
    "</title><script>alert(zq.x)</script>",
    "</option></select><img src=x onerror=alert(zq.x)>",
    '" hx-get="/zq.x" hx-trigger="load',
    "' hx-on:click='alert(zq.x)",
    '<div data-hx-get="/zq.x" hx-on::load="alert(zq.x)">x</div>',
    '<a href="data:text/html,<script>alert(zq.x)</script>">x</a>',
    "javascript:alert(zq.x)",
    " javascript:alert(zq.x)",
    "vbscript:msgbox(zq.x)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#zq.x",
    "<zq.x onmouseover=alert(zq.x)>",
    "<ScRiPt>alert(zq.x)</sCrIpT>",
    "<scr<script>ipt>alert(zq.x)</script>",
    "&lt;script&gt;alert(zq.x)&lt;/script&gt;",
    "&#60;script&#62;alert(zq.x)&#60;/script&#62;",
    "%3Cscript%3Ealert(zq.x)%3C/script%3E",
    "\\u003cscript\\u003ealert(zq.x)\\u003c/script\\u003e",
    "]]><zq.x/><![CDATA[",
    "{{ request.user.password }}{{ csrf_token }} zq.x",
    "{% debug %}{% load static %} zq.x",
    "${alert(zq.x)} #{zq.x} <%= zq.x %>",
]

# Text that is not an attack but breaks naive code: encodings, controls, length.
ODD_TEXT = [
    "zq.x\x00nul",
    "zq.x\u202egnp.exe",
    "\ufeffzq.x\u200b\u200d",
    "zq.x\r\n\tline\x0bbreaks\x0c",
    "zq.x \U0001f680 e\u0301 \u4e2d\u6587 \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "zq.x\x1b[31mred\x7f\x85",
    "zq.x" + "A" * 10_000,
    "   ",
]

FORM_PAYLOADS = XSS + BREAKOUTS + ODD_TEXT

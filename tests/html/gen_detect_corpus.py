#!/usr/bin/env python3
"""Generates the detection corpus: pages that declare no encoding (no BOM, no Content-Type
charset, no <meta>), in 16 legacy and Unicode encodings, each in four shapes.

The text is written here by hand for each language (nothing is downloaded); python3's codecs
encode it. Shapes:
  title     a title and nothing else non-ASCII
  sentence  the title, a meta description and one paragraph sentence
  long      the title and several paragraphs (a few KiB of text)
  head      2 KiB of ASCII script and style before the title, then one sentence
  short     a title of one or two words and nothing else non-ASCII

Run: python3 tests/html/gen_detect_corpus.py OUTDIR
Writes OUTDIR/<encoding>-<shape>-<n>.html and OUTDIR/index.tsv, one line per page:
  file, WHATWG encoding name, shape, top-level domain of the language, expected title (UTF-8).
"""
import os
import sys

# WHATWG name, python codec, top-level domain, titles, sentence, paragraph
LANGS = [
    ("UTF-8", "utf-8", "de",
     ["Café Müller — Speisekarte", "Größenänderung für Übergrößen", "Ärzte in Köln: Öffnungszeiten"],
     "Unsere Küche ist täglich geöffnet, außer an Feiertagen; die Brötchen backen wir selbst.",
     "Seit über dreißig Jahren begrüßen wir Gäste aus aller Welt in unserem kleinen Café am "
     "Marktplatz. Zum Frühstück gibt es frische Brötchen, hausgemachte Marmelade und Kaffee "
     "aus der eigenen Rösterei. Mittags kochen wir regionale Gerichte: Käsespätzle, "
     "Schweinebraten mit Knödeln und im Sommer kalte Gurkensuppe. Für größere Gruppen bitten "
     "wir um Reservierung, damit niemand auf einen Tisch warten muss."),
    ("windows-1252", "cp1252", "fr",
     ["Crêperie « Chez Hélène » à Paris", "Résumé des élections régionales", "Pâtisserie française : recettes"],
     "Découvrez nos crêpes préparées à la minute, avec du beurre salé et du sucre de canne.",
     "Notre crêperie se trouve à deux pas de la gare, dans une rue piétonne très animée. "
     "Hélène et François préparent chaque jour une pâte fraîche, légère et dorée. Les "
     "galettes de sarrasin sont garnies de jambon, de fromage râpé, d'œufs ou de champignons "
     "sautés. En été, la terrasse accueille les clients jusqu'à minuit ; en hiver, un "
     "chocolat chaud épicé réchauffe les promeneurs. Réservation conseillée le week-end."),
    ("windows-1250", "cp1250", "cz",
     ["Česká pošta – ceník služeb", "Příliš žluťoučký kůň úpěl ďábelské ódy", "Železniční doprava v Čechách"],
     "Ceny za doručení dopisů a balíků se mění od prvního ledna příštího roku.",
     "Česká pošta nabízí doručování dopisů, balíků a peněžních poukázek po celé republice. "
     "Zákazníci mohou zásilky podávat na přepážkách, v automatech nebo přes internetovou "
     "aplikaci. Doručení obyčejného dopisu trvá obvykle jeden až dva pracovní dny, "
     "doporučené zásilky jsou doručovány proti podpisu. Na venkově jezdí pojízdné pobočky, "
     "které zastavují v obcích bez vlastní pošty."),
    ("ISO-8859-2", "iso8859-2", "pl",
     ["Zażółć gęślą jaźń - sklep", "Wiadomości z Łodzi i okolic", "Ślęża: szlaki turystyczne"],
     "Świeże pieczywo dostarczamy codziennie rano, także w niedziele i święta.",
     "Nasza piekarnia działa od ponad czterdziestu lat w samym sercu Łodzi. Chleb żytni "
     "pieczemy na naturalnym zakwasie, a bułki i rogale przygotowujemy z mąki z pobliskiego "
     "młyna. Klienci cenią sobie zwłaszcza chałkę z rodzynkami oraz pączki z różą, które "
     "znikają z półek przed południem. Zamówienia na wesela i komunie przyjmujemy "
     "telefonicznie lub osobiście w sklepie przy ulicy Piotrkowskiej."),
    ("windows-1251", "cp1251", "ru",
     ["Новости Москвы и области", "Расписание электричек на сегодня", "Купить квартиру в Санкт-Петербурге"],
     "Главные события дня: погода, транспорт, культура и спорт в нашем городе.",
     "Городская администрация сообщила о начале ремонта на трёх станциях метро. Работы "
     "продлятся до конца лета, а пассажирам рекомендуют заранее планировать поездки и "
     "пользоваться наземным транспортом. В выходные в парках пройдут концерты под открытым "
     "небом, вход на которые будет свободным. Синоптики обещают тёплую и солнечную погоду "
     "без осадков, поэтому жителей приглашают провести время на свежем воздухе."),
    ("KOI8-R", "koi8-r", "ru",
     ["Форум любителей рыбалки", "Библиотека классической литературы", "Справочник по химии для школьников"],
     "Здесь собраны советы опытных рыбаков, отчёты о поездках и обсуждение снастей.",
     "Наш форум существует с девяносто восьмого года и объединяет тысячи рыбаков со всей "
     "страны. Участники делятся отчётами о рыбалке на реках и озёрах, выкладывают "
     "фотографии улова и подсказывают новичкам, какие снасти выбрать. Отдельный раздел "
     "посвящён зимней рыбалке: как безопасно выходить на лёд, чем кормить рыбу и где искать "
     "окуня в феврале. Правила форума просты: уважайте друг друга и не забывайте о природе."),
    ("ISO-8859-7", "iso8859-7", "gr",
     ["Ειδήσεις από την Αθήνα", "Ξενοδοχεία στη Θεσσαλονίκη", "Ελληνική κουζίνα: συνταγές"],
     "Διαβάστε τα σημαντικότερα νέα της ημέρας για την πολιτική, την οικονομία και τον αθλητισμό.",
     "Το μικρό μας ξενοδοχείο βρίσκεται κοντά στο λιμάνι και προσφέρει θέα στη θάλασσα από "
     "κάθε δωμάτιο. Το πρωινό σερβίρεται στην αυλή με φρέσκο ψωμί, μέλι από τα βουνά της "
     "περιοχής και γιαούρτι. Οι επισκέπτες μπορούν να νοικιάσουν ποδήλατα ή να κάνουν "
     "βόλτα με καΐκι στα γειτονικά νησιά. Το προσωπικό μιλά ελληνικά, αγγλικά και γαλλικά "
     "και είναι πάντα πρόθυμο να βοηθήσει."),
    ("windows-1254", "cp1254", "tr",
     ["İstanbul'da gezilecek yerler", "Güncel haberler ve son dakika gelişmeleri", "Türk mutfağı: şiş kebap tarifi"],
     "Şehrin en güzel köşelerini, tarihi camileri ve çarşıları sizin için derledik.",
     "İstanbul, iki kıtayı birbirine bağlayan eşsiz konumuyla her yıl milyonlarca ziyaretçi "
     "ağırlıyor. Sultanahmet'teki tarihi yapılar, Kapalıçarşı'nın dar sokakları ve "
     "Boğaz'daki vapur yolculukları şehrin vazgeçilmezleri arasında. Akşam saatlerinde "
     "Galata Köprüsü'nde balık ekmek yemek, gün batımını izlemek için en güzel "
     "fırsatlardan biridir. Müzelerin çoğu pazartesi günleri kapalı olduğundan gezinizi "
     "buna göre planlamanızı öneririz."),
    ("windows-1255", "cp1255", "il",
     ["חדשות מירושלים", "מתכונים לארוחת שבת", "לוח זמנים של רכבת ישראל"],
     "כל הידיעות החשובות של היום במקום אחד, מעודכן בכל שעה.",
     "העירייה הודיעה כי בשבוע הבא יחלו עבודות שיפוץ ברחוב יפו ובסביבת השוק. התושבים "
     "מתבקשים להשתמש בתחבורה הציבורית ולהימנע מחניה ברחובות הסמוכים. בסוף השבוע יתקיים "
     "פסטיבל מוזיקה בגן העצמאות, והכניסה לכל ההופעות תהיה חופשית. תחזית מזג האוויר צופה "
     "ימים נאים ושמשיים עם טמפרטורות נעימות לעונה."),
    ("windows-1256", "cp1256", "eg",
     ["أخبار القاهرة اليوم", "وصفات المطبخ العربي", "جدول مباريات كرة القدم"],
     "تابعوا آخر الأخبار المحلية والعالمية على مدار الساعة مع فريق التحرير.",
     "أعلنت وزارة النقل عن افتتاح خط جديد للمترو يربط وسط المدينة بالأحياء الشرقية خلال "
     "الأشهر المقبلة. ومن المتوقع أن يخفف المشروع من الازدحام المروري الذي يعاني منه "
     "السكان يوميا. كما تستعد الحدائق العامة لاستقبال الزوار في عطلة نهاية الأسبوع مع "
     "برنامج من الحفلات الموسيقية والعروض المسرحية للأطفال. ويتوقع خبراء الأرصاد طقسا "
     "معتدلا مع رياح خفيفة."),
    ("windows-874", "cp874", "th",
     ["ข่าววันนี้ กรุงเทพมหานคร", "สูตรอาหารไทย ต้มยำกุ้ง", "ตารางเดินรถไฟฟ้า"],
     "ติดตามข่าวสารล่าสุดทั้งในประเทศและต่างประเทศได้ตลอดทั้งวัน",
     "ร้านอาหารของเราตั้งอยู่ใกล้ตลาดน้ำ เปิดบริการทุกวันตั้งแต่เช้าจนถึงค่ำ "
     "เมนูยอดนิยมได้แก่ ต้มยำกุ้ง ผัดไทย และแกงเขียวหวานไก่ ซึ่งปรุงด้วยวัตถุดิบสดใหม่จากเกษตรกรในท้องถิ่น "
     "ลูกค้าสามารถจองโต๊ะล่วงหน้าทางโทรศัพท์ หรือสั่งอาหารกลับบ้านได้ "
     "ในช่วงเทศกาลสงกรานต์ร้านจะมีเมนูพิเศษและขนมไทยโบราณให้เลือกชิม"),
    ("Shift_JIS", "shift_jis", "jp",
     ["東京の天気予報", "日本の伝統料理レシピ集", "株式会社さくら 会社概要"],
     "今日のニュース、天気、交通情報をお届けします。",
     "当店は駅から徒歩五分の場所にある小さな和菓子屋です。創業は昭和三十年で、三代にわたり"
     "季節の和菓子を作り続けてきました。春は桜餅、夏は水ようかん、秋は栗きんとん、冬は"
     "いちご大福が人気です。材料はすべて国産にこだわり、毎朝職人が手作りしています。"
     "ご予約やお問い合わせは、お電話またはメールでお気軽にどうぞ。"),
    ("EUC-JP", "euc_jp", "jp",
     ["大阪の観光スポット", "プログラミング入門講座", "図書館の利用案内"],
     "開館時間、貸出冊数、予約の方法についてご案内します。",
     "市立図書館では、一般書や児童書のほか、雑誌や新聞、視聴覚資料を幅広く所蔵しています。"
     "図書の貸出は一人十冊まで、期間は二週間です。インターネットからの予約も受け付けて"
     "おり、準備ができましたらメールでお知らせします。毎週土曜日の午後には、子ども向けの"
     "おはなし会を開いています。休館日は毎週月曜日と年末年始です。"),
    ("GBK", "gbk", "cn",
     ["北京新闻网 - 今日要闻", "中国传统节日的由来", "上海地铁运营时间表"],
     "为您提供最新的国内外新闻、财经、体育和娱乐资讯。",
     "我们的餐厅位于市中心，交通便利，环境优雅。厨师团队拥有多年经验，擅长制作川菜、粤菜"
     "和各地风味小吃。每天早上我们从本地市场采购新鲜的蔬菜和肉类，确保每一道菜的品质。"
     "周末和节假日客人较多，建议提前预订座位。我们还提供外卖服务，欢迎通过电话或网站下单。"),
    ("Big5", "big5", "tw",
     ["台北市政府 - 最新消息", "台灣美食指南", "中華民國交通部公告"],
     "提供台北市民各項便民服務與活動資訊。",
     "本店位於台北車站附近，是一家經營三十多年的老字號麵館。招牌牛肉麵使用精選牛肉，"
     "湯頭以多種中藥材熬煮八小時以上，香氣濃郁。除了牛肉麵，我們也提供滷味、小菜和"
     "各式點心。每天中午和晚上用餐時間人潮眾多，建議避開尖峰時段前來。歡迎各位顧客光臨。"),
    ("EUC-KR", "euc_kr", "kr",
     ["서울 날씨와 뉴스", "한국 전통 음식 요리법", "부산 여행 안내"],
     "오늘의 주요 뉴스와 날씨, 교통 정보를 한눈에 확인하세요.",
     "저희 식당은 서울 시내 중심가에 자리 잡고 있으며 삼십 년 넘게 전통 한식을 만들어 "
     "왔습니다. 대표 메뉴인 된장찌개와 불고기는 국내산 재료만을 사용하여 정성껏 "
     "준비합니다. 점심시간에는 직장인을 위한 정식 메뉴를 저렴한 가격에 제공하고 있습니다. "
     "단체 손님은 미리 예약해 주시면 별도의 방을 마련해 드립니다."),
]

# Titles of one or two words: the hardest case (little evidence).
SHORT = {
    'UTF-8': ['Größe', 'Café', 'Übersicht'],
    'windows-1252': ['Crème brûlée', 'Déjà vu', 'À propos'],
    'windows-1250': ['Příliš', 'Čeština', 'Úvod'],
    'ISO-8859-2': ['Łódź', 'Zażółć', 'Śląsk'],
    'windows-1251': ['Привет', 'Новости', 'Главная'],
    'KOI8-R': ['Форум', 'Библиотека', 'Главная страница'],
    'ISO-8859-7': ['Καλημέρα', 'Ειδήσεις', 'Αρχική'],
    'windows-1254': ['Güncel', 'İletişim', 'Hakkımızda'],
    'windows-1255': ['חדשות', 'ברוכים הבאים', 'צור קשר'],
    'windows-1256': ['الرئيسية', 'أخبار', 'اتصل بنا'],
    'windows-874': ['หน้าแรก', 'ข่าว', 'ติดต่อเรา'],
    'Shift_JIS': ['日本', 'ホーム', 'お知らせ'],
    'EUC-JP': ['案内', 'トップページ', '図書館'],
    'GBK': ['中文', '首页', '新闻中心'],
    'Big5': ['首頁', '最新消息', '關於我們'],
    'EUC-KR': ['한국', '홈페이지', '공지사항'],
}

HEAD_PAD = ("<script>\n" + "".join("var v%d = document.getElementById('item%d');\n" % (i, i)
                                   for i in range(40)) + "</script>\n<style>\n" +
            "".join(".c%d { margin: %dpx; padding: 0 %dpx; }\n" % (i, i, i) for i in range(36)) +
            "</style>\n")


def page(shape, title, sentence, paragraph):
    if shape in ("title", "short"):
        return ("<!DOCTYPE html>\n<html><head><title>%s</title></head>\n"
                "<body><p>Copyright 2024. All rights reserved.</p></body></html>\n" % title)
    if shape == "sentence":
        return ("<!DOCTYPE html>\n<html><head><title>%s</title>\n"
                "<meta name=\"description\" content=\"%s\"></head>\n"
                "<body><h1>%s</h1><p>%s</p></body></html>\n" % (title, sentence, title, sentence))
    if shape == "long":
        body = "".join("<p>%s</p>\n" % paragraph for _ in range(6))
        return ("<!DOCTYPE html>\n<html><head><title>%s</title></head>\n<body><h1>%s</h1>\n"
                "<p>%s</p>\n%s</body></html>\n" % (title, title, sentence, body))
    assert shape == "head"
    return ("<!DOCTYPE html>\n<html><head>\n%s<title>%s</title></head>\n"
            "<body><p>%s</p></body></html>\n" % (HEAD_PAD, title, sentence))


SHAPES = ["title", "sentence", "long", "head", "short"]


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    index = []
    for name, codec, tld, titles, sentence, paragraph in LANGS:
        for shape in SHAPES:
            for n, title in enumerate(SHORT[name] if shape == "short" else titles):
                data = page(shape, title, sentence, paragraph).encode(codec)  # strict: fails loudly
                assert b"charset" not in data and not data.startswith(b"\xef\xbb\xbf")
                fname = "%s-%s-%d.html" % (name.lower(), shape, n)
                with open(os.path.join(out, fname), "wb") as f:
                    f.write(data)
                index.append("\t".join([fname, name, shape, tld, title]))
    with open(os.path.join(out, "index.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(index) + "\n")


if __name__ == "__main__":
    main()

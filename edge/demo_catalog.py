"""The "summer fruit night" catalogue: suppliers and SKUs of a fresh-produce group-buying chain.

Data, not logic: names, units, temperature classes and shelf lives as a regional chain lists
them. GTINs are built from a demo GS1 prefix with real check digits.
"""

from __future__ import annotations

# supplier id, zh name, en name
SUPPLIERS = [
    ("SUP-YN-BERRY", "云南澄江蓝莓果园", "Chengjiang Blueberry Orchard, Yunnan"),
    ("SUP-SD-MELON", "山东寿光蜜瓜合作社", "Shouguang Melon Cooperative, Shandong"),
    ("SUP-ZJ-FRUIT", "浙江仙居杨梅基地", "Xianju Bayberry Farm, Zhejiang"),
    ("SUP-HN-TROP", "海南三亚热带果业", "Sanya Tropical Fruit, Hainan"),
    ("SUP-SH-VEG", "上海崇明蔬菜合作社", "Chongming Vegetable Cooperative, Shanghai"),
    ("SUP-NM-DAIRY", "内蒙古牧场乳业", "Inner Mongolia Pasture Dairy"),
    ("SUP-HB-GRAIN", "河北燕麦食品", "Hebei Oat Foods"),
    ("SUP-JS-FROZEN", "江苏速冻食品厂", "Jiangsu Frozen Foods"),
    ("SUP-XJ-FRUIT", "新疆吐鲁番果业", "Turpan Fruit, Xinjiang"),
    ("SUP-SX-APPLE", "陕西洛川苹果合作社", "Luochuan Apple Cooperative, Shaanxi"),
]

# base sku, zh, en, unit, temp class, shelf-life days, case pack, supplier, grams, ml, brix min, brix max
PRODUCTS = [
    ("BLU-125", "低糖云南蓝莓 125g", "Low-sugar Yunnan blueberries 125 g", "盒", "chilled", 10, 24, "SUP-YN-BERRY", 125, 300, 10.0, 14.0),
    ("BLU-250", "云南蓝莓 250g", "Yunnan blueberries 250 g", "盒", "chilled", 10, 12, "SUP-YN-BERRY", 250, 550, 11.0, 16.0),
    ("BLU-500", "云南蓝莓家庭装 500g", "Yunnan blueberries family pack 500 g", "盒", "chilled", 10, 8, "SUP-YN-BERRY", 500, 1000, 11.0, 16.0),
    ("MEL-HAMI", "山东网纹蜜瓜", "Shandong netted melon", "个", "ambient", 14, 6, "SUP-SD-MELON", 1600, 3500, 13.0, 18.0),
    ("MEL-WHITE", "寿光白玉蜜瓜", "Shouguang white jade melon", "个", "ambient", 12, 6, "SUP-SD-MELON", 1200, 2800, 12.0, 17.0),
    ("MEL-WATER", "麒麟西瓜", "Qilin watermelon", "个", "ambient", 14, 4, "SUP-SD-MELON", 3500, 6000, 10.5, 14.0),
    ("MEL-HALF", "麒麟西瓜半个装", "Qilin watermelon half", "个", "chilled", 3, 8, "SUP-SD-MELON", 1800, 3000, 10.5, 14.0),
    ("BAY-500", "仙居东魁杨梅 500g", "Xianju bayberries 500 g", "盒", "chilled", 4, 10, "SUP-ZJ-FRUIT", 500, 1000, 10.0, 14.0),
    ("PEA-SNOW", "水蜜桃 6只装", "Honey peaches, 6 pack", "盒", "chilled", 6, 6, "SUP-ZJ-FRUIT", 1200, 2500, 11.0, 15.0),
    ("MAN-TAI", "三亚台农芒果 1kg", "Sanya Tainong mangoes 1 kg", "盒", "ambient", 8, 10, "SUP-HN-TROP", 1000, 2200, 14.0, 20.0),
    ("PIN-GOLD", "金钻凤梨", "Golden pineapple", "个", "ambient", 10, 8, "SUP-HN-TROP", 1300, 3000, 13.0, 18.0),
    ("LYC-500", "妃子笑荔枝 500g", "Feizixiao lychees 500 g", "盒", "chilled", 5, 12, "SUP-HN-TROP", 500, 1100, 16.0, 20.0),
    ("COC-YOUNG", "海南椰青", "Hainan young coconut", "个", "ambient", 20, 9, "SUP-HN-TROP", 1500, 2500, None, None),
    ("GRP-SUN", "阳光玫瑰葡萄 500g", "Shine Muscat grapes 500 g", "盒", "chilled", 12, 12, "SUP-XJ-FRUIT", 500, 1100, 18.0, 24.0),
    ("GRP-SEED", "吐鲁番无核白葡萄 500g", "Turpan seedless grapes 500 g", "盒", "chilled", 10, 12, "SUP-XJ-FRUIT", 500, 1100, 17.0, 23.0),
    ("HAM-MEL", "新疆哈密瓜", "Xinjiang Hami melon", "个", "ambient", 15, 4, "SUP-XJ-FRUIT", 2500, 5000, 14.0, 19.0),
    ("APL-RED", "洛川红富士苹果 5斤", "Luochuan Fuji apples 2.5 kg", "箱", "ambient", 30, 4, "SUP-SX-APPLE", 2500, 6000, 13.0, 17.0),
    ("APL-6", "洛川苹果 6只装", "Luochuan apples 6 pack", "盒", "ambient", 25, 8, "SUP-SX-APPLE", 1500, 3000, 13.0, 17.0),
    ("KIW-GRN", "眉县猕猴桃 12只装", "Meixian kiwifruit 12 pack", "盒", "chilled", 20, 6, "SUP-SX-APPLE", 1200, 2400, 12.0, 17.0),
    ("YOG-PLAIN", "原味酸奶 200g", "Plain yogurt 200 g", "杯", "chilled", 21, 24, "SUP-NM-DAIRY", 210, 220, None, None),
    ("YOG-BLU", "蓝莓酸奶 200g", "Blueberry yogurt 200 g", "杯", "chilled", 21, 24, "SUP-NM-DAIRY", 210, 220, None, None),
    ("YOG-GREEK", "希腊酸奶 400g", "Greek yogurt 400 g", "盒", "chilled", 18, 12, "SUP-NM-DAIRY", 420, 450, None, None),
    ("MLK-FRESH", "鲜牛奶 950ml", "Fresh milk 950 ml", "瓶", "chilled", 7, 12, "SUP-NM-DAIRY", 1000, 1000, None, None),
    ("MLK-LOWFAT", "低脂鲜奶 950ml", "Low-fat fresh milk 950 ml", "瓶", "chilled", 7, 12, "SUP-NM-DAIRY", 1000, 1000, None, None),
    ("OAT-CRUN", "烘焙燕麦片 500g", "Baked oat cereal 500 g", "袋", "ambient", 270, 20, "SUP-HB-GRAIN", 520, 1800, None, None),
    ("OAT-FRUIT", "水果燕麦片 400g", "Fruit oat cereal 400 g", "袋", "ambient", 270, 20, "SUP-HB-GRAIN", 420, 1600, None, None),
    ("OAT-INST", "即食燕麦 1kg", "Instant oats 1 kg", "袋", "ambient", 365, 12, "SUP-HB-GRAIN", 1020, 2500, None, None),
    ("VEG-BOK", "崇明小青菜 500g", "Chongming bok choy 500 g", "袋", "chilled", 3, 20, "SUP-SH-VEG", 500, 1500, None, None),
    ("VEG-SPIN", "菠菜 400g", "Spinach 400 g", "袋", "chilled", 3, 20, "SUP-SH-VEG", 400, 1400, None, None),
    ("VEG-LETT", "生菜 300g", "Lettuce 300 g", "袋", "chilled", 4, 20, "SUP-SH-VEG", 300, 1400, None, None),
    ("VEG-TOM", "崇明番茄 1kg", "Chongming tomatoes 1 kg", "盒", "chilled", 7, 10, "SUP-SH-VEG", 1000, 2000, 4.5, 8.0),
    ("VEG-CUC", "水果黄瓜 500g", "Mini cucumbers 500 g", "袋", "chilled", 6, 16, "SUP-SH-VEG", 500, 1200, None, None),
    ("VEG-CORN", "水果玉米 2根", "Sweet corn, 2 ears", "袋", "chilled", 5, 16, "SUP-SH-VEG", 600, 1500, 12.0, 18.0),
    ("VEG-MUSH", "香菇 300g", "Shiitake 300 g", "盒", "chilled", 5, 16, "SUP-SH-VEG", 300, 1000, None, None),
    ("DMP-PORK", "猪肉白菜水饺 1kg", "Pork and cabbage dumplings 1 kg", "袋", "frozen", 365, 10, "SUP-JS-FROZEN", 1000, 2000, None, None),
    ("DMP-SHRIMP", "三鲜虾仁水饺 500g", "Shrimp dumplings 500 g", "袋", "frozen", 365, 16, "SUP-JS-FROZEN", 500, 1100, None, None),
    ("DMP-VEG", "荠菜馄饨 500g", "Shepherd's purse wontons 500 g", "袋", "frozen", 365, 16, "SUP-JS-FROZEN", 500, 1100, None, None),
    ("TGY-SESA", "黑芝麻汤圆 400g", "Black sesame tangyuan 400 g", "袋", "frozen", 365, 20, "SUP-JS-FROZEN", 400, 900, None, None),
    ("ICE-MANGO", "芒果冰淇淋 4支装", "Mango ice cream, 4 bars", "盒", "frozen", 540, 12, "SUP-JS-FROZEN", 300, 800, None, None),
    ("BUN-PORK", "鲜肉小笼包 480g", "Pork soup dumplings 480 g", "袋", "frozen", 270, 16, "SUP-JS-FROZEN", 480, 1200, None, None),
]

# Pack-size variants that turn ~40 products into ~60 SKUs: (suffix, zh, en, multiplier of units and weight)
VARIANTS = {
    "BLU-125": [("X2", "两盒装", "twin pack", 2)],
    "BAY-500": [("X2", "两盒装", "twin pack", 2)],
    "GRP-SUN": [("X2", "两串装", "twin pack", 2)],
    "YOG-PLAIN": [("X6", "六杯装", "6 pack", 6)],
    "YOG-BLU": [("X6", "六杯装", "6 pack", 6)],
    "MLK-FRESH": [("X2", "两瓶装", "twin pack", 2)],
    "VEG-BOK": [("X2", "两袋装", "twin pack", 2)],
    "VEG-TOM": [("X2", "两盒装", "twin pack", 2)],
    "DMP-PORK": [("X2", "两袋装", "twin pack", 2)],
    "LYC-500": [("X2", "两盒装", "twin pack", 2)],
    "MAN-TAI": [("X2", "两盒装", "twin pack", 2)],
    "KIW-GRN": [("X2", "两盒装", "twin pack", 2)],
    "PEA-SNOW": [("X2", "两盒装", "twin pack", 2)],
    "APL-6": [("X2", "两盒装", "twin pack", 2)],
    "OAT-CRUN": [("X2", "两袋装", "twin pack", 2)],
    "GRP-SEED": [("X2", "两盒装", "twin pack", 2)],
    "VEG-CORN": [("X2", "两袋装", "twin pack", 2)],
    "DMP-SHRIMP": [("X2", "两袋装", "twin pack", 2)],
    "MEL-HALF": [("X2", "两个装", "twin pack", 2)],
    "YOG-GREEK": [("X2", "两盒装", "twin pack", 2)],
}

#: Popular SKUs of a summer fruit night sell far more than the long tail.
BESTSELLERS = ("BLU-125", "BLU-250", "MEL-HAMI", "YOG-PLAIN", "OAT-CRUN", "VEG-BOK", "DMP-PORK", "LYC-500")

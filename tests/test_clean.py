"""The article cleaner and story splitter, on small synthetic pages and on the real seeds."""

from pathlib import Path

import pytest

from bot.corpus import CorpusError, read_corpus
from bot.corpus.clean import clean_page, normalise_punctuation
from bot.corpus.stories import read_article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
OPENING = "# 标题\n\n乐山市召开会议，研究部署下一步工作。\n\n"  # a story with one whole paragraph


def paragraphs(raw: str) -> list[str]:
    return [b.text for b in clean_page(raw).blocks if b.kind == "paragraph"]


def headings(raw: str) -> list[tuple[int, str]]:
    return [(b.level, b.text) for b in clean_page(raw).blocks if b.kind == "heading"]


def write_article(tmp_path: Path, text: str, name: str = "007_test.txt") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# Punctuation and indentation


def test_half_width_punctuation_between_chinese_becomes_full_width():
    assert normalise_punctuation("乐山高新区:奋力打造,千亿级") == "乐山高新区：奋力打造，千亿级"


def test_numbers_ranges_and_units_stay_intact():
    text = normalise_punctuation("营收3.64亿元,2025年1-8月装机10GW;同比增长")
    assert text == "营收3.64亿元，2025年1-8月装机10GW；同比增长"


def test_half_width_parentheses_around_chinese_become_full_width():
    assert paragraphs(OPENING + "新型储能(锂电池)产业园项目正在建设。\n")[1] == (
        "新型储能（锂电池）产业园项目正在建设。"
    )


def test_ideographic_space_and_tab_indentation_removed():
    raw = "# 标题\n\n\u3000\u3000第一段写的是乐山的工业。\n\t\t第二段写的是夹江的园区。\n"
    assert paragraphs(raw) == ["第一段写的是乐山的工业。", "第二段写的是夹江的园区。"]


# Headings and stories


def test_markdown_heading_levels_recognised():
    raw = "# 一级\n\n正文，第一段。\n\n## 二级\n\n正文，第二段。\n\n### 三级\n\n正文，第三段。\n"
    assert headings(raw) == [(1, "一级"), (2, "二级"), (3, "三级")]


def test_level_three_heading_is_a_section_inside_the_story(tmp_path):
    raw = (
        "# 乐山高新区奋力打造千亿级园区\n\n园区开局良好，项目加快建设。\n\n"
        "### 培育新兴产业\n\n新兴产业加速成势，企业纷纷落户。\n"
    )
    stories = read_article(write_article(tmp_path, raw))
    assert len(stories) == 1
    assert stories[0].title == "乐山高新区奋力打造千亿级园区"
    assert stories[0].paragraphs == [
        "园区开局良好，项目加快建设。",
        "新兴产业加速成势，企业纷纷落户。",
    ]


def test_several_level_two_headings_give_several_stories(tmp_path):
    raw = (
        "## 市总工会八届四次全体会议召开\n\n会议总结了去年的工作，部署了今年的任务。\n\n"
        "## 全市政协提案工作座谈会召开\n\n座谈会听取了提案办理情况的汇报。\n\n"
        "# 网络对话：快乐过暑假\n\n主持人和嘉宾谈了暑期安全问题。\n"
    )
    stories = read_article(write_article(tmp_path, raw))
    assert [s.title for s in stories] == [
        "市总工会八届四次全体会议召开",
        "全市政协提案工作座谈会召开",
        "网络对话：快乐过暑假",
    ]
    assert [len(s.paragraphs) for s in stories] == [1, 1, 1]
    assert stories[1].paragraphs == ["座谈会听取了提案办理情况的汇报。"]


def test_dash_kicker_heading_merged_into_the_story_title(tmp_path):
    raw = "## 乐山高新区——\n\n# 加快发展新质生产力\n\n6月21日上午，市政府新闻办举行新闻发布会。\n"
    stories = read_article(write_article(tmp_path, raw))
    assert len(stories) == 1
    assert stories[0].title == "乐山高新区——加快发展新质生产力"


def test_heading_directly_above_another_heading_does_not_start_a_story(tmp_path):
    raw = "学习贯彻市委全会精神\n\n# 产业筑基\n\n连日来，全市上下掀起了学习热潮。\n"
    stories = read_article(write_article(tmp_path, raw))
    assert len(stories) == 1
    assert "产业筑基" in stories[0].title
    assert stories[0].paragraphs == ["连日来，全市上下掀起了学习热潮。"]


# Reporter lines and bylines


@pytest.mark.parametrize(
    "reporter",
    ["▶ 本报记者 叶伟 特约通讯员 刘倩", "► 本报记者 叶伟", "■ 记者 张清", "■ 记者 甘国江 文/图"],
)
def test_reporter_lines_dropped(reporter):
    raw = OPENING + reporter + "\n\n园区项目建设正加速推进。\n"
    assert paragraphs(raw) == ["乐山市召开会议，研究部署下一步工作。", "园区项目建设正加速推进。"]


def test_inline_byline_removed_and_the_news_kept():
    raw = OPENING + "本报讯(记者 戴余乐)日前，市总工会召开八届四次全体会议。\n"
    assert paragraphs(raw)[1] == "日前，市总工会召开八届四次全体会议。"


@pytest.mark.parametrize(
    ("printed", "credit"),
    [
        ("▶ 本报记者 叶伟 特约通讯员 刘倩\n\n", "本报记者 叶伟 特约通讯员 刘倩"),
        ("■ 吴竟楠 记者 祝贺 文/图\n\n", "吴竟楠 记者 祝贺"),
        ("本报讯(罗曦)", "罗曦"),
        ("本报讯(记者 张波)", "记者 张波"),
        ("本报讯（记者 张波 报道）", "记者 张波"),
        ("■ 本报记者 王五 摄影报道\n\n", "本报记者 王五"),
        ("本报记者 王明峰 宋豪新\n\n", "本报记者 王明峰 宋豪新"),  # no bullet
        ("文/张三\n\n", "张三"),
    ],
)
def test_the_byline_is_kept_as_the_story_s_credit(tmp_path, printed, credit):
    raw = "## 市总工会召开全体会议\n\n" + printed + "7月4日，市总工会召开会议。\n"
    (story,) = read_article(write_article(tmp_path, raw))
    assert story.byline == credit
    assert story.paragraphs == ["7月4日，市总工会召开会议。"]


def test_a_paragraph_cut_by_a_byline_line_is_joined():
    raw = OPENING + "园区持续开展政策宣\n■ 记者 宋雪 文/图\n传教育，项目建设正加速推进。\n"
    assert paragraphs(raw)[1] == "园区持续开展政策宣传教育，项目建设正加速推进。"


def test_a_photo_caption_before_the_credit_is_not_taken_for_names(tmp_path):
    raw = "## 标题\n\n▶ 工人们在车间里忙碌。记者 宋雪 摄\n\n园区项目建设正加速推进。\n"
    (story,) = read_article(write_article(tmp_path, raw))
    assert story.byline == "记者 宋雪"


def test_a_byline_after_the_lead_paragraph_is_still_its_story_s(tmp_path):
    raw = (
        "# 夹江县：创新为“核”\n\n作为国家“三线”建设重镇的夹江，产业基础雄厚。\n\n"
        "■ 记者 宋雪 文/图\n\n### 厚植沃土\n\n园区项目建设正加速推进。\n\n"
        "## 金口河：家门口的“坝坝会”\n\n“各位村民乡亲，吃了饭来村委会聚一下。”\n"
    )
    first, second = read_article(write_article(tmp_path, raw))
    assert (first.byline, second.byline) == ("记者 宋雪", "")


# Layout damage: page breaks, captions, repeats


@pytest.mark.parametrize(
    ("split", "joined"),
    [
        (
            "乐山高新区将加快构建具有高新特色的现代化产\n\n业体系。锚定新质生产力园区发展方向。",
            "乐山高新区将加快构建具有高新特色的现代化产业体系。锚定新质生产力园区发展方向。",
        ),
        (
            "夹江县正在打造中国高端威\n\n士忌产区，吸引企业落户。",
            "夹江县正在打造中国高端威士忌产区，吸引企业落户。",
        ),
        (
            "“目前，我们项目已基本完成厂房建设，预计今年9月\n\n正式进场安装。项目建成后，将成为基地。”",
            "“目前，我们项目已基本完成厂房建设，预计今年9月正式进场安装。项目建成后，将成为基地。”",
        ),
        (
            "老师在放假前进行了哪些宣\n\n传教育和安全提示？",
            "老师在放假前进行了哪些宣传教育和安全提示？",
        ),
    ],
)
def test_word_split_across_page_break_joined(split, joined):
    assert paragraphs(OPENING + split + "\n") == ["乐山市召开会议，研究部署下一步工作。", joined]


def test_first_paragraph_split_across_page_break_is_joined_not_taken_for_a_subtitle():
    raw = "# 标题\n\n乐山高新区将加快构建具有高新特色的现代化产\n\n业体系。锚定新质生产力发展方向。"
    assert paragraphs(raw) == [
        "乐山高新区将加快构建具有高新特色的现代化产业体系。锚定新质生产力发展方向。"
    ]


def test_caption_between_two_halves_of_a_paragraph_dropped():
    raw = OPENING + (
        "4年来，乐山高新区已对近20家创新企业给予“孵化种子资金”\n\n"
        "乐山高新区管委会办公大楼\n\n"
        "支持，新孵化培育高新技术企业5家。\n"
    )
    assert paragraphs(raw)[1:] == [
        "4年来，乐山高新区已对近20家创新企业给予“孵化种子资金”支持，新孵化培育高新技术企业5家。"
    ]


def test_standalone_caption_line_dropped():
    raw = OPENING + "俯瞰乐山高新区\n\n夹江县加快建设核技术应用产业园，成效明显。\n"
    texts = paragraphs(raw)
    assert texts == [
        "乐山市召开会议，研究部署下一步工作。",
        "夹江县加快建设核技术应用产业园，成效明显。",
    ]
    assert all("俯瞰" not in text for _, text in headings(raw))


def test_paragraph_printed_twice_kept_once():
    para = "2023年，乐山高新区地区生产总值同比增长4.6%，全社会固定资产投资同比增长45.2%。"
    raw = OPENING + para + "\n\n暑假期间，峨眉山景区迎来了旅游旺季。\n\n" + para + "\n"
    assert paragraphs(raw).count(para) == 1
    assert len(paragraphs(raw)) == 3


def test_nearly_identical_paragraph_printed_twice_kept_once():
    first = "2023年，乐山高新区地区生产总值同比增长4.6%，全社会固定资产投资同比增长45.2%。"
    second = "2023年，乐山高新区的地区生产总值同比增长4.6%，全社会固定资产投资同比增长了45.2%。"
    assert paragraphs(OPENING + first + "\n\n" + second + "\n")[1:] == [first]


def test_different_paragraphs_both_kept():
    first = "乐山高新区创新创业服务中心发布了年度孵化种子资金分配方案。"
    second = "夹江核技术应用产业园已落地7个项目、总投资36.3亿元。"
    assert paragraphs(OPENING + first + "\n\n" + second + "\n")[1:] == [first, second]


# Publication, date and overrides


def test_publication_and_date_parsed_from_the_masthead_line(tmp_path):
    raw = (
        " 四川乐山：培育新质生产力 \n\n\t\t\t《人民日报》（2024年12月26日 第 19 版）\n\n"
        "\u3000\u30002024年11月22日，夹江核技术应用产业园迎来首张甲级辐射安全许可证。\n"
    )
    (story,) = read_article(write_article(tmp_path, raw))
    assert (story.publication, story.date) == ("人民日报", "2024-12-26")
    assert story.title == "四川乐山：培育新质生产力"
    assert story.paragraphs == ["2024年11月22日，夹江核技术应用产业园迎来首张甲级辐射安全许可证。"]


def test_missing_date_stays_empty(tmp_path):
    raw = "# 产业筑基\n\n《乐山日报》（第 3 版）\n\n连日来，全市上下掀起了学习热潮。\n"
    (story,) = read_article(write_article(tmp_path, raw))
    assert story.publication == "乐山日报"
    assert story.date == ""


def test_no_masthead_leaves_publication_and_date_empty(tmp_path):
    (story,) = read_article(
        write_article(tmp_path, "# 产业筑基\n\n连日来，全市上下掀起了学习热潮。\n")
    )
    assert (story.publication, story.date) == ("", "")


def test_overrides_fill_what_the_text_lacks(tmp_path):
    path = write_article(tmp_path, "# 产业筑基\n\n连日来，全市上下掀起了学习热潮。\n")
    (story,) = read_article(path, {"publication": "乐山日报", "date": "2024-07-20"})
    assert (story.publication, story.date) == ("乐山日报", "2024-07-20")


def test_overrides_never_replace_what_the_text_states(tmp_path):
    raw = "# 标题\n\n《人民日报》（2024年12月26日 第 19 版）\n\n乐山高新区加快发展新质生产力。\n"
    overrides = {"publication": "乐山日报", "date": "2024-07-20", "title": "别的标题"}
    (story,) = read_article(write_article(tmp_path, raw), overrides)
    assert (story.publication, story.date, story.title) == ("人民日报", "2024-12-26", "标题")


def test_title_override_fills_an_untitled_story(tmp_path):
    raw = "连日来，全市上下掀起了学习热潮，干部群众纷纷表示要贯彻落实。\n"
    (story,) = read_article(write_article(tmp_path, raw), {"title": "学习贯彻全会精神"})
    assert story.title == "学习贯彻全会精神"


def test_read_corpus_applies_sources_yaml(tmp_path):
    write_article(tmp_path, "# 产业筑基\n\n连日来，全市上下掀起了学习热潮。\n", "001_a.txt")
    (tmp_path / "sources.yaml").write_text(
        "001_a.txt: {publication: 乐山日报, date: '2024-07-20'}\n", encoding="utf-8"
    )
    stories, problems = read_corpus(tmp_path)
    assert problems == []
    assert (stories[0].publication, stories[0].date) == ("乐山日报", "2024-07-20")


# Errors


def test_non_utf8_article_raises_corpus_error_naming_the_file(tmp_path):
    path = tmp_path / "005_gbk.txt"
    path.write_bytes("# 标题\n\n乐山高新区加快发展新质生产力。\n".encode("gbk"))
    with pytest.raises(CorpusError, match="005_gbk.txt"):
        read_article(path)


def test_read_corpus_reports_an_unreadable_article_and_keeps_the_others(tmp_path):
    write_article(tmp_path, "# 产业筑基\n\n连日来，全市上下掀起了学习热潮。\n", "001_a.txt")
    (tmp_path / "002_b.txt").write_bytes("# 标题\n\n乐山高新区。\n".encode("gbk"))
    stories, problems = read_corpus(tmp_path)
    assert [s.file for s in stories] == ["001_a.txt"]
    assert len(problems) == 1 and "002_b.txt" in problems[0]


def test_read_corpus_on_a_missing_folder_raises_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="does not exist"):
        read_corpus(tmp_path / "no-such-folder")


# The real seeds


@pytest.fixture(scope="module")
def seed_stories():
    stories, problems = read_corpus(SEEDS)
    assert problems == []
    return stories


def test_seeds_give_at_least_ten_stories_from_five_files(seed_stories):
    assert len(seed_stories) >= 10
    assert len({s.file for s in seed_stories}) == 5


def test_every_seed_story_has_a_title_and_paragraphs(seed_stories):
    assert all(s.title.strip() for s in seed_stories)
    assert all(s.paragraphs for s in seed_stories)


def test_no_reporter_line_left_in_seed_paragraphs(seed_stories):
    texts = [p for s in seed_stories for p in s.paragraphs]
    assert not [p for p in texts if "本报记者" in p or "■" in p]


def test_seed_page_break_joined(seed_stories):
    (story,) = [s for s in seed_stories if s.title == "产业筑基"]
    assert any("构建具有高新特色的现代化产业体系。" in p for p in story.paragraphs)


def test_a_sources_entry_that_is_not_a_mapping_is_a_corpus_error(tmp_path):
    write_article(tmp_path, "# 标题\n\n正文一句话，说明情况。\n")
    (tmp_path / "sources.yaml").write_text("007_test.txt: oops\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="sources.yaml"):
        read_corpus(tmp_path)

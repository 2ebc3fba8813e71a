"""Demo comments: what reviewers and citizens wrote about each unit, so /feedback and the letters have text.

Called once per demo year (db/demo/years.py) after the questionnaires and votes are written. Reviewers'
comments go on the year's submitted demo questionnaires (AnswerComment rows, removed with their
demo Response by purge-demo); citizens' comments are set on some of the year's demo votes (PollVote
rows flagged is_demo). Each unit leans to a few themes of its own (so the themes differ between
units), worse units get more complaints, some texts repeat (so merging shows), a few carry a name,
phone number, plate, e-mail or ID number (so masking shows: every such value is made up), and a few
units get fewer than five comments in a source (so withholding shows).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from core.poll import COUNTED
from db.models import AnswerComment, PollVote
from db.models import Response as PanelResponse

# theme -> (complaints, praise)
GENERAL = {
    "服务态度": (("窗口工作人员服务态度生硬，问两句就不耐烦。", "个别工作人员脸难看、说话冲，门难进脸难看事难办。",
              "服务态度有待改进，对老年人缺乏耐心。"),
             ("窗口服务态度比以前好多了，工作人员很耐心。",)),
    "办事效率": (("办事效率太低，一个证跑了三趟才办下来。", "材料交了一个月还没有结果，办事效率有待提高。"),
             ("办事效率有提高，当天就办结了。", "最多跑一次落实得好，办事效率高。")),
    "推诿": (("遇到问题互相推诿，让群众多跑路。", "反映的问题被推来推去，推诿扯皮，没有人负责。"), ()),
    "答复": (("在12345热线反映的问题迟迟没有答复。", "投诉以后一直没有回复，也没有人联系。"),
           ("留言反映的问题很快得到了答复，满意。",)),
    "办事流程": (("希望简化办事流程，减少证明材料。", "办事指南和窗口要求不一致，白跑一趟。"), ()),
    "不在岗": (("上班时间工作人员玩手机、不在岗。", "中午窗口没人，等了一个多小时。"), ()),
    "乱收费": (("收了1500元材料费却没有票据，怀疑乱收费。", "收费项目没有公示，不清楚收的什么钱。"), ()),
}
BY_CATEGORY = {
    "urban_enforcement": {
        "执法": (("执法态度粗暴，不文明执法。", "执法记录仪没有打开，执法不规范。"), ("执法规范，文明执法做得好。",)),
        "占道经营": (("占道经营问题反复出现，管了又回来。",), ()),
        "违章停车": (("小区周边违章停车长期没人管。",), ()),
        "噪音扰民": (("渣土车夜间噪音扰民，投诉多次没有解决。",), ()),
    },
    "public_service": {
        "停电": (("经常停电又不提前通知。", "停电后抢修太慢，等了一整晚。"), ()),
        "营业厅": (("营业厅排队时间太长，只开了两个窗口。",), ("营业厅服务热情，业务办得快。",)),
        "宽带": (("宽带故障报修三天没人上门。", "网络信号差，投诉以后没有改善。"), ()),
        "水压": (("水压太低，高楼层用水困难。",), ()),
    },
    "economic_social": {
        "营业执照": (("营业执照变更要求的材料太多。",), ("营业执照网上办理很方便，一天就拿到了。",)),
        "不动产登记": (("不动产登记要排很久的队。",), ()),
        "社保": (("社保转移手续太复杂，来回跑了好几次。",), ()),
        "小微企业": (("对小微企业的扶持政策宣传不够，不知道怎么申请。",), ()),
    },
}
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏")
PERSONAL = (
    "我叫{name}，电话{phone}，希望有人联系我。",
    "联系电话{phone}，请相关工作人员回电。",
    "我的车牌{plate}被误罚，至今没有处理。",
    "材料已发到{email}，一直没有回音。",
    "本人{name}，身份证号{id}，社保记录有误，请核实。",
)
PANEL_RATE = (2, 14)  # a unit's expected reviewers' comments per year: the low end leaves some under five
POLL_RATE = (1, 16)


def _personal(rng: np.random.Generator) -> str:
    template = PERSONAL[rng.integers(len(PERSONAL))]
    name = NAMES[rng.integers(len(NAMES))]
    phone = "1" + str(rng.choice([35, 39, 58, 86, 89])) + "".join(str(d) for d in rng.integers(0, 10, 8))
    plate = "鄂A" + "".join(str(d) for d in rng.integers(0, 10, 5))
    email = f"demo{rng.integers(100, 999)}@example.com"
    birth = f"19{rng.integers(60, 99)}0{rng.integers(1, 10)}1{rng.integers(0, 10)}"
    id_number = "420102" + birth + "".join(str(d) for d in rng.integers(0, 10, 3)) + "X"
    return template.format(name=name, phone=phone, plate=plate, email=email, id=id_number)


def _texts(rng: np.random.Generator, n: int, *, category: str, badness: float) -> list[str]:
    """n comments on one unit: most on its own few themes, complaints more likely the worse it does."""
    themes = {**GENERAL, **BY_CATEGORY.get(category, {})}
    names = list(themes)
    favourites = [names[k] for k in rng.choice(len(names), size=min(3, len(names)), replace=False)]
    texts = []
    for _ in range(n):
        if rng.random() < 0.08:
            texts.append(_personal(rng))
            continue
        theme = favourites[rng.integers(len(favourites))] if rng.random() < 0.75 else names[rng.integers(len(names))]
        complaints, praise = themes[theme]
        pool = praise if praise and rng.random() > badness else complaints
        texts.append(pool[rng.integers(len(pool))])
    return texts


def add_demo_comments(session: Session, *, campaign_id: int, unit_ids: Sequence[int], categories: Sequence[str],
                      rng: np.random.Generator, quality: Sequence[float] | None = None,
                      counts: dict[str, int] | None = None) -> dict[str, int]:
    """Reviewers' and citizens' comments for one demo year; returns (and adds to `counts`, the demo's row
    counts) the reviewers' comments written and the votes given a comment."""
    n_units = len(unit_ids)
    if quality is not None and len(quality):
        order = np.argsort(np.argsort(np.asarray(quality, dtype=float)))  # 0: the worst unit
        badness = 0.85 - 0.6 * order / max(1, n_units - 1)
    else:
        badness = np.full(n_units, 0.6)
    responses = session.exec(select(PanelResponse.id).where(
        PanelResponse.campaign_id == campaign_id, PanelResponse.status == "submitted", PanelResponse.is_demo,
        col(PanelResponse.rehearsal).is_(False)).order_by(PanelResponse.id)).all()
    taken = set(session.exec(select(AnswerComment.response_id, AnswerComment.unit_id)
                             .where(col(AnswerComment.response_id).in_(responses or [-1]))).all())
    comment_rows, vote_rows = [], []
    for k, (unit_id, category) in enumerate(zip(unit_ids, categories)):
        n_panel = int(rng.poisson(rng.uniform(*PANEL_RATE)))
        free = [r for r in responses if (r, unit_id) not in taken]
        chosen = rng.choice(free, size=min(n_panel, len(free)), replace=False) if free else []
        for response_id, text in zip(chosen, _texts(rng, len(chosen), category=category, badness=badness[k])):
            comment_rows.append({"response_id": int(response_id), "unit_id": unit_id, "text": text})
        n_poll = int(rng.poisson(rng.uniform(*POLL_RATE)))
        if n_poll:
            votes = session.exec(select(PollVote.id).where(
                PollVote.campaign_id == campaign_id, PollVote.unit_id == unit_id, PollVote.is_demo,
                col(PollVote.status).in_(COUNTED), PollVote.comment == "").order_by(PollVote.id).limit(400)).all()
            picked = rng.choice(votes, size=min(n_poll, len(votes)), replace=False) if votes else []
            for vote_id, text in zip(picked, _texts(rng, len(picked), category=category, badness=badness[k])):
                vote_rows.append({"vote_id": int(vote_id), "text": text})
    connection = session.connection()
    if comment_rows:
        connection.execute(insert(AnswerComment.__table__), comment_rows)
    if vote_rows:
        table = PollVote.__table__
        connection.execute(update(table).where(table.c.id == bindparam("vote_id")).values(comment=bindparam("text")),
                           vote_rows)
    if counts is not None:
        counts["answercomment"] = counts.get("answercomment", 0) + len(comment_rows)
    return {"answercomment": len(comment_rows), "pollvote_comment": len(vote_rows)}

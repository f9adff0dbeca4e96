"""Original demo content for ``manage.py seed_demo``: members, posts and their discussions.

Plain data only; the command in ``portal/management/commands/seed_demo.py``
turns it into rows through the models' own ``save()`` and the comments services.
Dates are relative (days before the command runs, hours after a post), so a
fresh demo always looks recent.
"""

from dataclasses import dataclass, field
from textwrap import dedent

INDIVIDUAL = "individual-learning"
ORGANIZATIONAL = "organizational-learning"

DEMO_URL = "http://127.0.0.1:8000"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "demo-admin-pass"  # noqa: S105 - demo only, the command refuses to run with DEBUG off
EDITOR_USERNAME = "editor"
EDITOR_PASSWORD = "demo-editor-pass"  # noqa: S105
MEMBER_PASSWORD = "demo-member-pass"  # noqa: S105

FLAGSHIP_SLUG = "learning-alone-learning-together"


def md(text: str) -> str:
    """Dedent an indented triple-quoted Markdown string."""
    return dedent(text).strip() + "\n"


@dataclass(frozen=True)
class DemoMember:
    username: str
    display_name: str
    bio: str
    website: str = ""
    first_name: str = ""
    last_name: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    editor: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@example.org"


@dataclass(frozen=True)
class DemoComment:
    """A comment ``hours_after`` its post went out, moderated into ``status``.

    ``author`` is a demo member's username; ``None`` makes a guest comment with
    the ``guest_*`` fields, as if imported from the old WordPress blog.
    """

    author: str | None
    body: str
    status: str = "approved"
    hours_after: int = 6
    guest_name: str = ""
    guest_url: str = ""
    guest_email: str = ""


@dataclass(frozen=True)
class DemoPost:
    title: str
    slug: str
    author: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    excerpt: str
    body: str
    days_ago: int
    status: str = "published"
    comments: tuple[DemoComment, ...] = field(default_factory=tuple)


MEMBERS = (
    DemoMember(
        username=ADMIN_USERNAME,
        display_name="Portal team",
        bio="The people who keep this portal running. Write to us if something is broken.",
        is_staff=True,
        is_superuser=True,
    ),
    DemoMember(
        username=EDITOR_USERNAME,
        display_name="Helen Marsh",
        first_name="Helen",
        last_name="Marsh",
        bio=(
            "Editor of the portal. Twenty years in workplace learning, first as a trainer, "
            "then helping teams learn from their own work instead of from slide decks."
        ),
        website="https://helen-marsh.example.net/",
        is_staff=True,
        editor=True,
    ),
    DemoMember(
        username="tomas",
        display_name="Tomás Herrero",
        first_name="Tomás",
        last_name="Herrero",
        bio=(
            "Profesor de formación profesional en Valencia. I write about apprenticeship, "
            "adult learners and what classrooms can borrow from workshops."
        ),
        website="https://tomas-herrero.example.net/",
    ),
    DemoMember(
        username="lucia",
        display_name="Lucía Mendoza",
        first_name="Lucía",
        last_name="Mendoza",
        bio=(
            "Gestora del conocimiento en una red de cooperativas agrícolas en Colombia. "
            "Interested in how communities remember."
        ),
        website="https://lucia-mendoza.example.org/",
    ),
    DemoMember(
        username="jonas",
        display_name="Jonas Böhmer",
        first_name="Jonas",
        last_name="Böhmer",
        bio=(
            "Ausbilder in einem Maschinenbaubetrieb bei Hamburg. Trainer of apprentices, "
            "collector of shop-floor knowledge that never made it into a manual."
        ),
        website="https://jonas-boehmer.example.de/",
    ),
    DemoMember(
        username="katrin",
        display_name="Katrin Vogt",
        first_name="Katrin",
        last_name="Vogt",
        bio="Librarian in Leipzig. Wikis, reading groups and the quiet art of finding things.",
        website="https://katrin-vogt.example.de/",
    ),
    DemoMember(
        username="priya",
        display_name="Priya Raman",
        first_name="Priya",
        last_name="Raman",
        bio=(
            "Learning and development lead at a hospital trust in London. "
            "Believes every shift handover is a small lesson."
        ),
        website="https://priya-raman.example.co.uk/",
    ),
    DemoMember(
        username="daniel",
        display_name="Daniel Osei",
        first_name="Daniel",
        last_name="Osei",
        bio="Runs a software team in Toronto. Retrospectives, pair programming, long walks.",
        website="https://daniel-osei.example.com/",
    ),
    DemoMember(
        username="sam",
        display_name="Sam Whitfield",
        first_name="Sam",
        last_name="Whitfield",
        bio="New here. Instructional designer, trying to unlearn the word “module”.",
    ),
)

TAG_NAMES = (
    "web 2.0",
    "communities of practice",
    "personal knowledge management",
    "networks",
    "reflection",
    "knowledge management",
)


POSTS = (
    DemoPost(
        title="A notebook that talks back",
        slug="a-notebook-that-talks-back",
        author=EDITOR_USERNAME,
        categories=(INDIVIDUAL,),
        tags=("personal knowledge management", "reflection"),
        days_ago=228,
        excerpt="Notes you never reread are a diary of good intentions. A few habits that make them useful.",
        body=md(
            """
            For years my notes were a graveyard. I wrote things down diligently after every
            workshop and conference, and I almost never read them again. The notebook was
            a place where ideas went to be forgotten politely.

            What changed was not the tool but the question I asked of it. I stopped asking
            “where do I store this?” and started asking “when will I need this again, and
            what will I be doing at the time?”

            ## Three habits that made the difference

            - **Write in my own words.** A copied paragraph is somebody else's thought. A
              paraphrase, however clumsy, is the beginning of mine.
            - **Link before filing.** Every new note has to point to at least one older note.
              If it cannot, that is interesting in itself.
            - **Reread on a schedule.** Fifteen minutes on Friday afternoon, skimming what the
              week produced. Most of it goes nowhere. Some of it turns into a post like this.

            ## Why it matters beyond me

            People call this [personal knowledge management](https://en.wikipedia.org/wiki/Personal_knowledge_management),
            which makes it sound more private than it is. The notes I reread are the notes
            I end up sharing — with a colleague who asks a question, in a meeting, here.
            A notebook that talks back to its owner eventually starts talking to other people too.
            """
        ),
        comments=(
            DemoComment(
                author="daniel",
                hours_after=7,
                body=(
                    "“Link before filing” is the one I needed. My team's wiki is full of pages "
                    "that link to nothing and are linked from nothing. Going to try this on my "
                    "own notes first before I preach it to anyone."
                ),
            ),
            DemoComment(
                author="tomas",
                hours_after=26,
                body=(
                    "I ask my apprentices to do the Friday rereading with their workshop logbooks. "
                    "The first weeks they hate it. By spring they are the ones reminding me."
                ),
            ),
        ),
    ),
    DemoPost(
        title="What a community of practice is not",
        slug="what-a-community-of-practice-is-not",
        author=EDITOR_USERNAME,
        categories=(ORGANIZATIONAL,),
        tags=("communities of practice", "knowledge management"),
        days_ago=214,
        excerpt="The phrase has been stretched to cover almost any group with a mailing list. Some boundaries.",
        body=md(
            """
            Every organization I visit seems to have a few “communities of practice” by now.
            Most of them are something else wearing the name, and the mismatch is why so
            many of them fade after the launch event.

            The original idea of a [community of practice](https://en.wikipedia.org/wiki/Community_of_practice)
            has three parts: a shared *domain* people care about, a *community* that
            actually interacts, and a *practice* — the stories, tools and ways of working
            that members build up over time. Take away any one of the three and you get
            something else.

            ## It is not…

            1. **A project team.** Teams exist to deliver something and then disband.
               A community exists because people keep needing each other.
            2. **A mailing list.** A list is a channel. If nobody ever asks “how do you
               handle this?”, there is no community on it, however many subscribers it has.
            3. **A training programme.** Courses have a curriculum decided in advance.
               A community's curriculum is whatever its members are struggling with this month.
            4. **A management initiative.** Leaders can water the soil. They cannot plant
               the community and demand a harvest by the end of the quarter.

            ## So what can an organization do?

            Notice the groups that already behave like communities — the engineers who
            always lunch together, the nurses who swap tips across wards — and make their
            life easier. Give them a room, a little time, and permission to be unofficial.
            """
        ),
        comments=(
            DemoComment(
                author=None,
                guest_name="Frank Delacroix",
                guest_url="https://frank-delacroix.example.com/",
                guest_email="frank@example.com",
                hours_after=11,
                body=(
                    "Point 4 rings true. We had a “knowledge community” launched with a logo and "
                    "a budget; it lasted nine months. The informal Friday call that two of us "
                    "started at the same time is still going, six years later.\n\n"
                    "Maybe the logo was the problem."
                ),
            ),
            DemoComment(
                author="lucia",
                hours_after=30,
                body=(
                    "In our cooperatives the best communities started around a concrete "
                    "problem — a coffee leaf disease, a new export rule. The domain came first "
                    "and the community grew around it, not the other way round."
                ),
            ),
        ),
    ),
    DemoPost(
        title="The after-action review, ten minutes at a time",
        slug="the-after-action-review-ten-minutes-at-a-time",
        author="priya",
        categories=(ORGANIZATIONAL,),
        tags=("reflection", "knowledge management"),
        days_ago=199,
        excerpt="Four questions, ten minutes, straight after the work. How a ward made reviews a habit.",
        body=md(
            """
            *A guest post from Priya Raman, who leads learning and development at a hospital trust.*

            Our wards used to hold reviews only after something went badly wrong. By then
            people were defensive, memories had been rewritten, and the review felt like a
            trial. We learned a great deal about writing reports and very little about nursing.

            Last year one ward tried something smaller. At the end of each shift, before the
            handover, whoever was in charge asked four questions borrowed from the military
            [after-action review](https://en.wikipedia.org/wiki/After-action_review):

            1. What did we expect to happen?
            2. What actually happened?
            3. Why was there a difference?
            4. What will we do differently next shift?

            ## What we noticed

            - Reviews of *ordinary* shifts were where most of the learning was. Near misses
              came up casually, weeks before they would have become incidents.
            - Ten minutes was enough — as long as it happened every day.
            - The fourth question mattered most. Without it the review was just a chat.

            > I used to leave with the day still in my head. Now I leave it in the room,
            > with the others, and it's theirs as well.

            That was one of the healthcare assistants, a few months in. I have not found a
            better description of what organizational learning feels like from the inside.
            """
        ),
        comments=(
            DemoComment(
                author="jonas",
                hours_after=15,
                body=(
                    "We do something similar at the end of every apprentice project. The trick, "
                    "as you say, is that the Meister answers the four questions too — "
                    "otherwise it turns into an exam."
                ),
            ),
            DemoComment(
                author=None,
                guest_name="Anonymous",
                guest_email="nobody@example.net",
                status="rejected",
                hours_after=40,
                body="Reviews are just managers looking for someone to blame. Whole thing is a waste of everyone's time.",
            ),
        ),
    ),
    DemoPost(
        title="A weekly rhythm for learning in public",
        slug="a-weekly-rhythm-for-learning-in-public",
        author=EDITOR_USERNAME,
        categories=(INDIVIDUAL,),
        tags=("personal knowledge management", "networks", "web 2.0"),
        days_ago=183,
        excerpt="Find, make sense, share: a simple weekly cycle, and why the sharing step is the one we skip.",
        body=md(
            """
            If you follow enough people who think out loud online, you start to notice a
            pattern in the ones who seem to learn fastest. They are not reading more than
            everyone else. They are *finishing the loop*: what they read turns into
            something they make, and what they make goes back out to the people they learned from.

            ## My version of the loop

            - **Monday to Wednesday — gather.** Feeds, newsletters, conversations. Anything
              that surprises me goes into the notebook with one line on *why* it surprised me.
            - **Thursday — make sense.** Pick one thread from the week and try to explain it:
              a sketch, a short note, an example from my own work.
            - **Friday — share.** Post the note somewhere people can answer: this blog, a
              team channel, a reply to the person whose work started the thread.

            ## The step we skip

            Sharing feels optional, even vain. But it is the step that turns a private
            hobby into a network. Every time I publish a half-finished thought, somebody
            corrects it, extends it, or points me to someone who has thought about it longer.
            The network does the rereading for me.

            If you try it, start embarrassingly small. One paragraph a week is plenty.
            """
        ),
        comments=(
            DemoComment(
                author="tomas",
                hours_after=20,
                body=(
                    "“Start embarrassingly small” — I will steal this for my students. "
                    "They think a blog post has to be an essay."
                ),
            ),
        ),
    ),
    DemoPost(
        title="Why wikis die quietly",
        slug="why-wikis-die-quietly",
        author=EDITOR_USERNAME,
        categories=(ORGANIZATIONAL,),
        tags=("web 2.0", "knowledge management"),
        days_ago=170,
        excerpt="Nobody kills the company wiki. It just stops being the place where anything happens.",
        body=md(
            """
            No one ever announces the death of a company wiki. There is no meeting, no
            decision. One day you search it for something and find a page last edited
            three years ago by someone who left, and you realise you stopped trusting it
            a long time before that.

            ## How it usually goes

            1. A small group is enthusiastic. They write a lot, fast.
            2. The wiki becomes “the place where documentation goes” — a destination for
               finished things rather than a workspace for unfinished ones.
            3. Real work moves back to email and chat, where the conversation is.
            4. Pages age. Trust drops. Fewer people edit. Pages age faster.

            ## What seems to keep them alive

            - **Work happens there.** Meeting notes, drafts and decisions written *in* the wiki,
              not copied in afterwards.
            - **Gardening is someone's job.** Not writing everything — pruning, linking,
              archiving, and thanking the people who contribute.
            - **Old pages say they are old.** A visible “last reviewed” date is more honest
              than a confident page that is quietly wrong.

            > A wiki is not a library. It is a workbench that happens to remember.

            I wrote that line on a sticky note after a particularly grim migration project.
            It is still on my monitor.
            """
        ),
        comments=(
            DemoComment(
                author="katrin",
                hours_after=9,
                body=(
                    "As a librarian I will gently defend libraries: the good ones are weeded "
                    "constantly! But yes — the “last reviewed” date is the single most useful "
                    "thing we added to our staff wiki. People forgive old pages that admit it."
                ),
            ),
            DemoComment(
                author="daniel",
                hours_after=28,
                body="Step 2 is exactly where ours went wrong. “Docs go in the wiki” was the day it started dying.",
            ),
            DemoComment(
                author=None,
                guest_name="seo-booster-deals",
                guest_url="https://seo-booster-deals.example.com/",
                guest_email="promo@example.com",
                status="spam",
                hours_after=50,
                body="Great post!!! Get 10,000 backlinks for your wiki today, cheapest prices guaranteed, click here.",
            ),
        ),
    ),
    DemoPost(
        title="Weak ties and the question nobody on the team can answer",
        slug="weak-ties-and-the-question-nobody-on-the-team-can-answer",
        author=EDITOR_USERNAME,
        categories=(INDIVIDUAL, ORGANIZATIONAL),
        tags=("networks", "communities of practice"),
        days_ago=152,
        excerpt="Close colleagues know what you know. The answer is usually one acquaintance away.",
        body=md(
            """
            There is a particular kind of question that stalls a team for days: the one
            that nobody in the room can answer, because everybody in the room has the same
            background, read the same documents and went to the same meetings.

            Sociologists have a name for the people who can help: [weak ties](https://en.wikipedia.org/wiki/Interpersonal_ties).
            The former colleague in another department, the person you met once at a
            conference, the friend of a friend who works in a different industry. They
            are valuable precisely *because* they are not like us.

            ## For the individual

            Keeping weak ties alive is cheap if you do it steadily: an occasional comment
            on their work, a link sent with “this made me think of you”, an answer when they
            ask something. It is expensive if you only remember them when you need help.

            ## For the organization

            Most organizations are built to strengthen strong ties — teams, reporting lines,
            team-building days. Very few do anything deliberate about weak ones. A few
            things that help:

            - open channels where anyone can ask anyone a question;
            - rotations and secondments, even short ones;
            - recognising the people who answer questions outside their own team.

            The next time your team is stuck, try asking “who do we know who would find
            this easy?” before asking “who should we hire?”
            """
        ),
        comments=(
            DemoComment(
                author="priya",
                hours_after=12,
                body=(
                    "Our best fix for a recurring medication error came from a pharmacist who "
                    "happened to sit next to one of our nurses at a training day. Pure weak tie. "
                    "We now run those mixed training days on purpose."
                ),
            ),
        ),
    ),
    DemoPost(
        title="Writing to find out what you think",
        slug="writing-to-find-out-what-you-think",
        author=EDITOR_USERNAME,
        categories=(INDIVIDUAL,),
        tags=("reflection", "personal knowledge management"),
        days_ago=137,
        excerpt="Writing is not the report at the end of thinking. Often it is the thinking.",
        body=md(
            """
            I used to believe that I wrote things down once I understood them. Most of the
            time it is the other way round: I understand something once I have tried, and
            failed, to write it down.

            ## The blank page as a test

            Try explaining a new idea in three sentences to an imagined colleague. The places
            where the sentences refuse to come are exactly the places where your understanding
            has holes. No quiz or self-assessment finds them as reliably.

            ## Some prompts that work for me

            - *What surprised me this week, and why did it surprise me?*
            - *What would I tell someone starting this job tomorrow?*
            - *What do I believe about this topic that most of my colleagues don't?*
            - *What did I change my mind about — and what changed it?*

            ## Writing for someone

            Private writing clarifies; writing for readers clarifies more. The moment I
            imagine a particular person reading — a sceptical colleague, a new starter —
            I stop hiding behind jargon. That is one reason I keep this blog, and one reason
            I hope more of you will write here too.
            """
        ),
    ),
    DemoPost(
        title="Tacit knowledge doesn't fit in a database",
        slug="tacit-knowledge-doesnt-fit-in-a-database",
        author=EDITOR_USERNAME,
        categories=(ORGANIZATIONAL,),
        tags=("knowledge management", "communities of practice"),
        days_ago=121,
        excerpt="The most valuable things experts know are the hardest to write down. Plan for that.",
        body=md(
            """
            Every few years an organization discovers that its most experienced people are
            about to retire, and launches a project to “capture their knowledge”. Interviews
            are recorded, templates are filled in, a database is built. A year later the
            experts have gone, and the database is rarely opened.

            The problem is not effort. It is that much of what experts know is
            [tacit](https://en.wikipedia.org/wiki/Tacit_knowledge): the feel for when a machine
            sounds wrong, the sense of which customer complaint is serious, the judgement
            of when to break the rule. They cannot write it down because they do not
            experience it as *knowledge* at all. It is just how they see.

            ## What travels better than documents

            - **Working alongside.** Shadowing, pairing and apprenticeship move tacit
              knowledge the way it was originally learned — by doing, with feedback.
            - **Stories.** “The time the line stopped on a Sunday” carries judgement that
              no procedure can.
            - **Questions in context.** Experts who are easy to ask, at the moment of need,
              share far more than experts asked to “document everything”.

            ## A smaller goal

            Instead of capturing knowledge, aim to *connect* people: make it easy for the
            people who will need it to spend time with the people who have it — before
            the leaving party.
            """
        ),
        comments=(
            DemoComment(
                author="jonas",
                hours_after=18,
                body=(
                    "Bei uns heißt das „über die Schulter schauen“ — und genau so lernen unsere "
                    "Azubis die Dinge, die in keinem Handbuch stehen.\n\n"
                    "Vor drei Jahren ging unser erfahrenster Fräser in Rente. Wir hatten alles "
                    "dokumentiert, dachten wir. Was uns wirklich gefehlt hat, war sein Ohr: Er hörte, "
                    "wenn ein Werkzeug stumpf wurde, lange bevor die Maße abwichen. Das stand "
                    "nirgends — und hätte auch nirgends stehen können.\n\n"
                    "Seitdem arbeiten die Älteren mit den Jüngeren im Tandem, mindestens ein Jahr "
                    "vor dem Ruhestand. Das kostet Zeit. Es ist trotzdem die günstigste "
                    "Wissenssicherung, die wir je hatten."
                ),
            ),
        ),
    ),
    DemoPost(
        title="Onboarding as apprenticeship",
        slug="onboarding-as-apprenticeship",
        author="tomas",
        categories=(INDIVIDUAL, ORGANIZATIONAL),
        tags=("communities of practice", "reflection"),
        days_ago=104,
        excerpt="What a vocational school can teach an office about the first ninety days.",
        body=md(
            """
            *A guest post from Tomás Herrero, who teaches vocational training in Valencia.*

            In my school nobody expects a first-year apprentice to learn welding from a
            manual. They stand next to someone who can weld, they sweep the floor and hand
            over tools, and slowly they are given real pieces of real work. Researchers call
            this [legitimate peripheral participation](https://en.wikipedia.org/wiki/Legitimate_peripheral_participation).
            We just call it the first year.

            When I visit offices, I see new employees given a laptop, a folder of policies
            and a week of presentations. Then they are left alone with their inbox.

            ## Borrowing from the workshop

            1. **Real work from the first week** — small, safe, but genuinely useful.
            2. **A named person to stand next to**, not just a “buddy” on paper.
            3. **Visible progression**: newcomers should be able to see what the next,
               slightly more responsible task will be.
            4. **Permission to watch.** Sitting in on meetings without having to contribute
               is how newcomers learn how things are really done.

            ## Both sides learn

            The master learns too. Explaining your craft to a newcomer forces you to notice
            what you do without thinking — and sometimes to notice that it no longer makes
            sense. A good onboarding programme is a small act of organizational reflection.
            """
        ),
        comments=(
            DemoComment(
                author="lucia",
                hours_after=8,
                body=(
                    "Tomás, esto me recuerda a cómo aprenden los jóvenes en las fincas: nadie les "
                    "da un manual, acompañan a los mayores durante toda una cosecha y poco a poco "
                    "les confían las tareas delicadas. Lo que más me gusta de tu texto es la idea "
                    "de que el maestro también aprende. En nuestras cooperativas, cuando un "
                    "caficultor veterano explica por qué poda de cierta manera, a veces descubre "
                    "que ya no tiene una buena razón — y cambia. ¡Gracias por compartirlo!"
                ),
            ),
            DemoComment(
                author="daniel",
                hours_after=31,
                body=(
                    "“Permission to watch” is underrated. Our new developers now shadow code "
                    "reviews for two weeks before doing any. Questions got much better."
                ),
            ),
        ),
    ),
    DemoPost(
        title="The learning journal I kept for a year",
        slug="the-learning-journal-i-kept-for-a-year",
        author=EDITOR_USERNAME,
        categories=(INDIVIDUAL,),
        tags=("reflection", "personal knowledge management"),
        days_ago=88,
        excerpt="Three lines a day for twelve months. What I expected to learn, and what I actually learned.",
        body=md(
            """
            Last year I promised myself three lines a day in a learning journal: one thing
            I learned, one thing that puzzled me, one thing I want to try. I missed about a
            month in total. Here is what the other eleven months taught me.

            ## What I expected

            I expected a record of *things learned* — a list I could be proud of in December.
            That list exists, and it is the least interesting part of the journal.

            ## What I got instead

            - **Patterns in the puzzles.** The same kinds of question came back again and
              again. They pointed at a gap in my skills I had been avoiding for years.
            - **Evidence against my memory.** I remembered a difficult project as a failure.
              The journal showed steady progress and one bad week.
            - **A list of experiments.** Most of the “things to try” were never tried. The
              few that were became the most useful changes I made all year.

            > Reflection is not looking back. It is looking back *on purpose*, so that
            > looking forward gets easier.

            I wrote that in the journal in October, feeling rather pleased with myself.
            In November I found almost the same sentence in an entry from March. Which is
            perhaps the best argument for keeping a journal at all.
            """
        ),
    ),
    DemoPost(
        title="Single loop, double loop: when the rules need learning too",
        slug="single-loop-double-loop-when-the-rules-need-learning-too",
        author=EDITOR_USERNAME,
        categories=(ORGANIZATIONAL,),
        tags=("knowledge management", "reflection"),
        days_ago=71,
        excerpt="Fixing the error is single-loop learning. Questioning the goal that produced it is the harder kind.",
        body=md(
            """
            A thermostat learns, in a limited way: when the room is too cold, it turns the
            heating on. It never asks whether twenty degrees was the right target. That is
            the classic image for single-loop learning, and most organizational learning
            is exactly like it.

            [Double-loop learning](https://en.wikipedia.org/wiki/Double-loop_learning) asks
            the second question: are the goals, rules and assumptions themselves right?

            ## An everyday example

            A support team misses its response-time target. The single-loop answer is to
            answer faster: templates, more staff, tighter monitoring. The double-loop answer
            starts by asking why customers write in at all — and sometimes discovers that
            half the tickets come from one confusing screen that could be fixed in a day.

            ## Why organizations avoid the second loop

            - It is uncomfortable: questioning a goal can feel like questioning the person
              who set it.
            - Targets are easy to measure; assumptions are not.
            - Success on the first loop is rewarded, so people get very good at it.

            ## Making room for it

            Regular reviews help, but only if one question is always on the list:
            *what would have to be true for our current goal to be the wrong one?*
            Ask it even when things go well. Especially then.
            """
        ),
        comments=(
            DemoComment(
                author="sam",
                status="pending",
                hours_after=200,
                body="Is there a good way to ask the double-loop question without it sounding like criticism of the manager? Genuine question — I tried once and it did not go well.",
            ),
            DemoComment(
                author=None,
                guest_name="Growth Guru",
                guest_url="https://growth-guru.example.com/",
                guest_email="guru@example.com",
                status="rejected",
                hours_after=210,
                body="Double loop is outdated. My 7-step framework fixes all of this, see my profile for the course.",
            ),
        ),
    ),
    DemoPost(
        title="Learning alone, learning together",
        slug=FLAGSHIP_SLUG,
        author=EDITOR_USERNAME,
        categories=(INDIVIDUAL, ORGANIZATIONAL),
        tags=("web 2.0", "communities of practice", "knowledge management", "networks"),
        days_ago=46,
        excerpt=(
            "Most talk about social tools and learning looks at one learner at a time. "
            "What changes when we look at the organization too — and can we hold both views at once?"
        ),
        body=md(
            """
            Most of what I read about social software and learning starts from a single
            person: how *I* keep up, how *I* build a network, how *I* find the expert I need
            by Thursday. Far less starts from the organization — how a hospital ward, a
            workshop floor or a software team gets better at what it does, year after year,
            even as people come and go. Hardly anything tries to hold both views at once.

            I think that gap matters, because each view on its own tells a half-truth.

            ## The view from one desk

            From where an individual sits, learning looks like a stream of small choices:
            which feed to follow, which question to ask, whether to write a note now or trust
            memory. Blogs, wikis, bookmarks and chat are superb at serving that person. They
            make it cheap to publish a half-formed idea and to find the three people in the
            world who care about it.

            But a team of brilliant individual learners is not automatically a learning team.
            Everyone may be growing while the organization repeats last year's mistakes.

            ## The view from the organization

            From the organization's side, learning looks like *memory* and *habit*: the
            checklist that exists because of an incident, the way newcomers are paired with
            old hands, the meeting where someone is allowed to say “we got this wrong”. The
            traditional toolkit here is courses, knowledge bases and
            [learning organization](https://en.wikipedia.org/wiki/Learning_organization)
            programmes.

            The trouble is that organizations tend to treat learning as something delivered
            *to* people, and then wonder why nobody opens the knowledge base.

            ## Holding both

            What would it look like to design for both at once? Four starting points:

            1. **Make personal work visible by default.** Notes, drafts and questions that
               colleagues can see turn private learning into shared material at almost no cost.
            2. **Start from problems, not catalogues.** People look for knowledge when they have
               something to solve; make sure they find a person, not only a document.
            3. **Reward the connectors.** Whoever answers questions across team boundaries is
               doing the organization's learning for it, and rarely gets credit.
            4. **Protect time for reflection** — alone *and* together.

            > Everybody here is learning all the time. The hospital just doesn't remember
            > any of it.

            A charge nurse said that to me at a workshop last spring, and I have not stopped
            thinking about it. The individual half of the picture was fine. The other half
            was missing.

            These are first thoughts rather than conclusions, so tell me where they break.
            Does your organization learn from what its people learn? What does it take?
            """
        ),
        comments=(
            DemoComment(
                author="lucia",
                hours_after=5,
                body=(
                    "Muy de acuerdo con la idea de “sostener las dos miradas”. En las cooperativas "
                    "con las que trabajo, cada productor aprende muchísimo cada temporada, pero ese "
                    "aprendizaje se queda en su finca. Lo que intentamos ahora es que las asambleas "
                    "no sean solo para votar, sino para contar qué funcionó y qué no.\n\n"
                    "La tecnología ayuda — un grupo de mensajería, un blog compartido — pero lo "
                    "decisivo es que alguien pregunte en voz alta: ¿y esto qué nos enseña a todos?"
                ),
            ),
            DemoComment(
                author="priya",
                hours_after=9,
                body=(
                    "Helen, this describes my last five years almost exactly. Our staff are "
                    "relentless individual learners — they have to be, for revalidation — and yet "
                    "the same handover problems turn up on ward after ward.\n\n"
                    "One of our ward sisters put it better than I could in a meeting last month:\n\n"
                    "> We don't need more training. We need ten minutes together, on the same day, "
                    "with the same problem in front of us.\n\n"
                    "That is what your point 4 means to me. Reflection *together* is not a luxury "
                    "added on top of individual learning; it is the place where individual learning "
                    "finally becomes the organization's.\n\n"
                    "I'd add a fifth point, though: someone has to own the follow-up. Otherwise the "
                    "ten minutes produce great insights that evaporate by the next shift.\n\n"
                    "Priya"
                ),
            ),
            DemoComment(
                author="jonas",
                hours_after=20,
                body=(
                    "Spannender Beitrag! In unserer Ausbildungswerkstatt sehe ich beides jeden Tag: "
                    "Die Azubis lernen schnell — jeder für sich, mit Videos und Foren. Aber was "
                    "der Betrieb „weiß“, steckt in den Köpfen der Älteren und in ein paar "
                    "vergilbten Ordnern.\n\n"
                    "Ihr Punkt über die „Verbinder“ trifft es genau. Unser bester Wissensträger ist "
                    "kein Meister, sondern ein Schichtführer, der einfach gerne erklärt. Würdigen "
                    "tut das niemand — bis er mal Urlaub hat."
                ),
            ),
            DemoComment(
                author="daniel",
                hours_after=30,
                body=(
                    "Software teams have a version of this: retrospectives. Great for the team, "
                    "but the lessons rarely leave it. We've started publishing a one-paragraph "
                    "summary of each retro to the whole department. Small step; people read them."
                ),
            ),
            DemoComment(
                author="katrin",
                status="pending",
                hours_after=50,
                body=(
                    "Libraries sit somewhere in between, I think — places where individuals learn "
                    "alone, side by side. Could a library be a model for the organizational half?"
                ),
            ),
            DemoComment(
                author=None,
                guest_name="cheap-diplomas-online",
                guest_url="https://cheap-diplomas.example.com/",
                guest_email="sales@example.com",
                status="spam",
                hours_after=60,
                body="Learning is hard!! Buy a real university diploma in 7 days, no exams, visit our website now.",
            ),
        ),
    ),
    DemoPost(
        title="Lurking is learning too",
        slug="lurking-is-learning-too",
        author=EDITOR_USERNAME,
        categories=(INDIVIDUAL, ORGANIZATIONAL),
        tags=("communities of practice", "web 2.0", "networks"),
        days_ago=29,
        excerpt="Most members of any online community never post. That does not mean they are not there.",
        body=md(
            """
            Community managers worry about lurkers. Ninety people read, nine reply, one
            writes — and the dashboards turn those ninety into a problem to be fixed with
            badges and reminder emails.

            I think that is mostly a mistake.

            ## What lurkers are doing

            - **Learning the norms.** Before you speak in any community you want to know
              how people talk to each other, what counts as a good question, what gets
              ignored. Reading is how you find out.
            - **Taking knowledge elsewhere.** Plenty of readers use what they read in their
              own teams, where the community never sees it.
            - **Waiting for their moment.** Many long-time contributors were silent for
              months before a topic came up that they knew better than anyone.

            ## What communities can do

            1. Make the first contribution small and safe: a reaction, a short reply,
               a question that is explicitly welcome.
            2. Answer newcomers quickly and warmly. The first reply decides whether there
               will be a second post.
            3. Stop measuring health only by the number of posts.

            > Silence in a community is not always absence. Sometimes it is attention.

            If you have read this far and never commented here before: hello. You are
            welcome to stay quiet, and just as welcome to say something.
            """
        ),
        comments=(
            DemoComment(
                author="katrin",
                hours_after=14,
                body="Speaking as a reformed lurker: the thing that got me to post was a direct, friendly question addressed to me by name. Badges never did.",
            ),
            DemoComment(
                author="sam",
                status="pending",
                hours_after=70,
                body="Hello! Long-time reader, first comment. This post is the reason I finally signed up.",
            ),
        ),
    ),
    DemoPost(
        title="Feeds, filters and the fear of missing out",
        slug="feeds-filters-and-the-fear-of-missing-out",
        author=EDITOR_USERNAME,
        categories=(INDIVIDUAL,),
        tags=("personal knowledge management", "web 2.0", "networks"),
        days_ago=9,
        excerpt="You cannot read everything. A few ways to choose what to miss.",
        body=md(
            """
            A reader wrote to ask how I keep up with everything. The honest answer is that I
            don't, and that learning to miss things on purpose has been one of the more
            useful skills of the last few years.

            ## Filters, not firehoses

            - **Follow people, not sources.** A handful of people whose judgement I trust
              filter a whole field for me. When they share something, I read it.
            - **Subscribe slowly, unsubscribe quickly.** Every new feed gets a month's
              trial. If I have skipped it every time, it goes.
            - **Batch the reading.** Twice a week, not all day. The important things are
              still there on Thursday.

            ## Missing out is the price of thinking

            Time spent scanning is time not spent making sense of what I have already
            read. Past a certain point, more input makes me *less* informed, because nothing
            stays long enough to connect with anything else.

            > If everything is worth reading, nothing is being read.

            What are your filters? I am particularly interested in how people handle
            work channels, where the fear of missing something important is more real than
            with blogs and newsletters.
            """
        ),
        comments=(
            DemoComment(
                author="daniel",
                hours_after=4,
                body=(
                    "Work chat is the hard one. My rule: anything that needs me must mention me. "
                    "Everything else I read once a day, and I say so in my status so nobody "
                    "expects otherwise."
                ),
            ),
            DemoComment(
                author="tomas",
                status="pending",
                hours_after=30,
                body=(
                    "I follow a few Spanish-language education blogs that rarely appear in "
                    "English lists. Happy to share the list if anyone wants it."
                ),
            ),
        ),
    ),
    DemoPost(
        title="Notes toward a post on mentoring across organizations",
        slug="notes-toward-a-post-on-mentoring-across-organizations",
        author=EDITOR_USERNAME,
        categories=(ORGANIZATIONAL,),
        tags=("networks", "communities of practice"),
        days_ago=2,
        status="draft",
        excerpt="Draft: what happens when mentors and mentees come from different organizations?",
        body=md(
            """
            *Draft — not ready yet.*

            ## Questions to answer

            - Why do cross-organization mentoring schemes often work *better* than internal ones?
              (Less politics? More honesty?)
            - What does the mentor's organization get out of it?
            - How do you end a mentoring relationship well?

            ## Examples to ask about

            - Priya's exchange with a hospice team
            - The cooperative network Lucía described
            """
        ),
    ),
    DemoPost(
        title="What a year of moderated discussions taught us",
        slug="what-a-year-of-moderated-discussions-taught-us",
        author=EDITOR_USERNAME,
        categories=(INDIVIDUAL, ORGANIZATIONAL),
        tags=("communities of practice", "reflection"),
        days_ago=-12,
        excerpt="Twelve months of holding first comments for review: what it cost, and what it gave us.",
        body=md(
            """
            When we opened this portal we decided that a member's first comment would wait
            for a moderator before appearing. It felt a little unfriendly. A year on, here is
            what we learned from it.

            ## What it cost

            - A delay of a few hours for newcomers, which some of them found discouraging.
            - Moderator time — less than we feared, about twenty minutes a day.

            ## What it gave us

            - Almost no spam reached a reader.
            - Discussions stayed on topic, because the tone was set by the people who had
              already been welcomed in.
            - A reason to say hello: moderators often add a short welcome when they approve
              someone's first comment.

            > The first comment is a door. We decided to open it by hand.

            We would make the same choice again, with one change: faster approvals at
            weekends. Thank you to everyone who waited patiently for their first words to appear.
            """
        ),
    ),
)


# --- Bulk mode: a few bodies rendered once and reused for thousands of rows ---

BENCHMARK_BODIES = (
    md(
        """
        A benchmark post about **learning in small steps**. It exists to fill lists and
        archives with realistic amounts of text.

        ## What to try

        - keep a short learning log;
        - share one note a week;
        - ask one question outside your own team.

        > Small, regular reflection beats occasional grand reviews.

        More on [reflection](https://en.wikipedia.org/wiki/Reflective_practice).
        """
    ),
    md(
        """
        A benchmark post about **communities of practice**.

        ## Three parts

        1. A shared domain.
        2. A community that talks.
        3. A practice that grows over time.

        Read about [communities of practice](https://en.wikipedia.org/wiki/Community_of_practice)
        for the background.
        """
    ),
    md(
        """
        A benchmark post about **knowledge that moves between people**.

        ## Why documents are not enough

        Much of what experts know is *tacit*. It travels through working alongside,
        through stories and through questions asked at the right moment.

        > Connect people before you try to capture what they know.
        """
    ),
    md(
        """
        A benchmark post about **networks and weak ties**.

        ## For individuals and organizations

        - Individuals keep weak ties alive with small, steady gestures.
        - Organizations can open channels where anyone may ask anyone.

        See [interpersonal ties](https://en.wikipedia.org/wiki/Interpersonal_ties).
        """
    ),
)

BENCHMARK_EXCERPT = "A generated post for benchmarks, with a heading, a list and a quote."

BENCHMARK_COMMENTS = (
    "Thanks, this is a useful summary. I will try the *learning log* idea this week.",
    "We tried something similar in our team.\n\nIt worked once we made it a habit rather than a project.",
    "> Small, regular reflection\n\nAgreed — the regular part is what most of us skip.",
    "Could you say more about how this works in larger organizations?",
    "Good reminder that learning alone and learning together need each other.",
)

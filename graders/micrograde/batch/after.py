"""What a batch writes once every submission has a result, from those results: the
dashboard (and, when enabled, similarity and LMS exports). Called from one place, the
end of runner.run_batch, so a resumed batch rebuilds all of it."""
from ..dashboard import write_dashboard


def publish(out, outcomes, milestones, *, summary_text="") -> None:
    write_dashboard(out, outcomes, milestones, summary_text=summary_text)

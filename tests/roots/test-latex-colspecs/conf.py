extensions = ["sphinx_df_table"]
show_warning_types = True  # Sphinx 7.3/7.4; the default from 8.0
latex_documents = [("index", "t.tex", "T", "A", "manual")]

# A test extension: moves the alignment of every df-table's first column to
# the centre on its colspec, and removes all classes from all entries, so the
# LaTeX column types can only come from the colspecs.
from docutils import nodes  # noqa: E402
from sphinx.transforms.post_transforms import SphinxPostTransform  # noqa: E402


class CentreFirstColumn(SphinxPostTransform):
    default_priority = 3  # before DfTableLatexColumns

    def run(self, **kwargs):
        for table in self.document.findall(nodes.table):
            next(table.findall(nodes.colspec))["df_align"] = "center"
            for entry in table.findall(nodes.entry):
                entry["classes"] = []


def setup(app):
    app.add_post_transform(CentreFirstColumn)

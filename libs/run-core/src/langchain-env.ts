// LangChain must await callback handlers, or tokens go missing under concurrency (measured
// with `messages` streams at 50 concurrent runs). Read when handlers are made; imported
// first by the run core and by main.ts so it is set before any LangChain code runs.
process.env.LANGCHAIN_CALLBACKS_BACKGROUND = 'false';
